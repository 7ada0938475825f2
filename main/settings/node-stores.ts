import { JsonFileStore } from './json-store.js';
import type { SettingsData, StatusData } from './model.js';
import { settingsFile, statusFile } from './paths.js';
import { settingsProblems, statusProblems } from './schema.js';
import { ensureConfigDir, SettingsStore, StatusStore } from './stores.js';

/** The settings and status files in Berth's config folder, for the app, the CLI, the credential helper and the tests. */
export function openStores(dir: string): { settings: SettingsStore; status: StatusStore } {
  ensureConfigDir(dir);
  return {
    settings: new SettingsStore(new JsonFileStore<SettingsData>(settingsFile(dir), settingsProblems)),
    status: new StatusStore(new JsonFileStore<StatusData>(statusFile(dir), statusProblems)),
  };
}
