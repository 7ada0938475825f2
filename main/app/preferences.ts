import { join } from 'node:path';
import ElectronStore, { type Schema } from 'electron-store';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';

export interface WindowBounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What closing the window does where the desktop shows no tray icon: keep Berth running minimised, or quit. */
export type CloseWithoutTray = 'minimize' | 'quit';

/**
 * What only the app needs, in its own electron-store file. Registry settings and the preferences the CLI shares
 * (keep-alive hours, warning days, target) stay in settings.json; no field is in both.
 */
export interface AppPreferences {
  windowBounds: WindowBounds | null;
  /** The registry the window showed last, opened again at the next start. */
  lastRegistry: string | null;
  closeWithoutTray: CloseWithoutTray;
  notifications: boolean;
  /** The "no tray on this desktop" explanation is shown once. */
  trayMissingExplained: boolean;
  /** Automatic updates: the person's choice, or null for this kind of install's default (on, except for a deb). */
  autoUpdate: boolean | null;
  /** The private update server an administrator's profile named. */
  updateUrl: string | null;
}

const bounds = { type: 'integer' } as const;

const schema: Schema<AppPreferences> = {
  windowBounds: {
    type: ['object', 'null'],
    properties: { x: bounds, y: bounds, width: { type: 'integer', minimum: 200 }, height: { type: 'integer', minimum: 150 } },
    required: ['x', 'y', 'width', 'height'],
    default: null,
  },
  lastRegistry: { type: ['string', 'null'], maxLength: 64, default: null },
  closeWithoutTray: { type: 'string', enum: ['minimize', 'quit'], default: 'minimize' },
  notifications: { type: 'boolean', default: true },
  trayMissingExplained: { type: 'boolean', default: false },
  autoUpdate: { type: ['boolean', 'null'], default: null },
  updateUrl: { type: ['string', 'null'], pattern: '^https://', maxLength: 2048, default: null },
};

export const preferencesFileName = 'app-preferences.json';

export interface PreferenceStore {
  get<K extends keyof AppPreferences>(key: K): AppPreferences[K];
  set<K extends keyof AppPreferences>(key: K, value: AppPreferences[K]): void;
}

/** Defaults held in memory: used when the file cannot be read, which is then left exactly as it is. */
function memoryStore(): PreferenceStore {
  const values = Object.fromEntries(Object.entries(schema).map(([key, property]) => [key, structuredClone((property as { default: unknown }).default)])) as unknown as AppPreferences;
  return {
    get: (key) => values[key],
    set: (key, value) => {
      values[key] = value;
    },
  };
}

/**
 * The app's preferences from `<dir>/app-preferences.json` (electron-store: a JSON schema, and `projectVersion` recorded for
 * migrations once a later version changes a field). A file that does not parse or breaks the schema is never overwritten:
 * the app runs on defaults and the log names the file and the reason.
 */
export function openPreferences(dir: string, version: string, log: Pick<Logger, 'warn'>): PreferenceStore {
  const path = join(dir, preferencesFileName);
  let store: ElectronStore<AppPreferences>;
  try {
    store = new ElectronStore<AppPreferences>({ cwd: dir, name: 'app-preferences', schema, projectVersion: version, configFileMode: 0o600, clearInvalidConfig: false });
  } catch (error) {
    log.warn('app preferences unreadable; using defaults and leaving the file alone', { file: path, reason: errorMessage(error) });
    return memoryStore();
  }
  return {
    get: (key) => store.get(key),
    set: (key, value) => {
      try {
        store.set(key, value as Exclude<AppPreferences[typeof key], undefined>);
      } catch (error) {
        // A full disk or a read-only folder costs a remembered preference, never the app.
        log.warn('app preference not saved', { file: path, key, reason: errorMessage(error) });
      }
    },
  };
}
