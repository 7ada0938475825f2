import Conf from 'conf';
import type { SettingsData, StatusData } from './model.js';
import { storeOptions } from './schema.js';
import { ensureConfigDir, SettingsStore, StatusStore } from './stores.js';

/** The settings and status files opened with `conf`, for the CLI, the credential helper and the tests. */
export function openStores(dir: string): { settings: SettingsStore; status: StatusStore } {
  ensureConfigDir(dir);
  const options = storeOptions(dir);
  const { name: _s, ...settingsOptions } = options.settings;
  const { name: _t, ...statusOptions } = options.status;
  return {
    settings: new SettingsStore(new Conf<SettingsData>({ ...settingsOptions, configFileMode: 0o600 } as never)),
    status: new StatusStore(new Conf<StatusData>({ ...statusOptions, configFileMode: 0o600 } as never)),
  };
}
