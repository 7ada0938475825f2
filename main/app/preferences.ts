import { join } from 'node:path';
import ElectronStore, { type Options, type Schema } from 'electron-store';
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

/** The private update server a registry profile named. */
export interface UpdateServer {
  url: string;
  /** The registry added from the profile that named it; null for one kept from before Berth asked. */
  registry: string | null;
  /** The person agreed to take Berth's updates from it; until then it is not used. */
  confirmed: boolean;
}

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
  updateServer: UpdateServer | null;
}

const bounds = { type: 'integer' } as const;
const httpsUrl = { type: 'string', pattern: '^https://', maxLength: 2048 } as const;

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
  updateServer: {
    type: ['object', 'null'],
    properties: { url: httpsUrl, registry: { type: ['string', 'null'], maxLength: 64 }, confirmed: { type: 'boolean' } },
    required: ['url', 'registry', 'confirmed'],
    additionalProperties: false,
    default: null,
  },
};

/** The store as a migration sees it: any key, since it reads the fields of earlier versions. */
interface MigratingStore {
  has(key: string): boolean;
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

/**
 * One step per version that changed a field's shape (electron-store runs those newer than the file's recorded version).
 * 0.1.0 builds before this step kept a profile's update server as `updateUrl`, taken without asking the person: it
 * becomes an unconfirmed `updateServer`, unused until the person agrees to it.
 */
export const migrations: Record<string, (store: MigratingStore) => void> = {
  '0.1.0': (store) => {
    if (!store.has('updateUrl')) return;
    const url = store.get('updateUrl');
    store.delete('updateUrl');
    if (typeof url === 'string' && url.startsWith('https://') && url.length <= 2048) store.set('updateServer', { url, registry: null, confirmed: false });
  },
};

export const preferencesFileName = 'app-preferences.json';

export interface PreferenceStore {
  get<K extends keyof AppPreferences>(key: K): AppPreferences[K];
  set<K extends keyof AppPreferences>(key: K, value: AppPreferences[K]): void;
}

export interface OpenedPreferences {
  preferences: PreferenceStore;
  /** Why the file could not be used, in a sentence for the person; null when it was. */
  problem: string | null;
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
 * The app's preferences from `<dir>/app-preferences.json` (electron-store: a JSON schema, and the migrations above run
 * against the app's version). A file that does not parse or breaks the schema is never overwritten: the app runs on
 * defaults held in memory, and the log and `problem` name the file and the reason.
 */
export function openPreferences(dir: string, version: string, log: Pick<Logger, 'warn'>): OpenedPreferences {
  const path = join(dir, preferencesFileName);
  let store: ElectronStore<AppPreferences>;
  try {
    store = new ElectronStore<AppPreferences>({
      cwd: dir,
      name: 'app-preferences',
      schema,
      migrations: migrations as unknown as Options<AppPreferences>['migrations'],
      projectVersion: version,
      configFileMode: 0o600,
      clearInvalidConfig: false,
    });
  } catch (error) {
    const reason = errorMessage(error).replace(/\.$/, '');
    log.warn('app preferences unreadable; using defaults and leaving the file alone', { file: path, reason });
    return {
      preferences: memoryStore(),
      problem: `Berth could not read its app preferences in ${path} (${reason}). It runs with the default preferences and leaves the file as it is: what you change now is forgotten when Berth quits. Fix the file, or delete it to start afresh.`,
    };
  }
  const preferences: PreferenceStore = {
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
  return { preferences, problem: null };
}
