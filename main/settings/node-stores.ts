import Conf from 'conf';
import type { SettingsData, StatusData } from './model.js';
import { storeOptions } from './schema.js';
import { ensureConfigDir, openDocument, SettingsStore, StatusStore } from './stores.js';

/** The settings and status files opened with `conf`, for the CLI, the credential helper and the tests. */
export function openStores(dir: string): { settings: SettingsStore; status: StatusStore } {
  ensureConfigDir(dir);
  const options = storeOptions(dir);
  return {
    settings: new SettingsStore(openDocument(options.settings.path, () => new Conf<SettingsData>(options.settings))),
    status: new StatusStore(openDocument(options.status.path, () => new Conf<StatusData>(options.status))),
  };
}
