import { errorMessage } from '../errors.js';
import type { ActivityEntry } from '../api/contract.js';
import { readJsonDocument, updateJsonDocument } from '../credentials/json-file.js';
import type { Logger } from '../log/logger.js';

export const activityLimit = 100;

/** The last state changes and actions, newest first; shared by the app and the CLI through one file. */
export interface ActivityLog {
  list(): ActivityEntry[];
  add(entry: ActivityEntry): void;
}

function isEntry(value: unknown): value is ActivityEntry {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.at === 'string' && typeof entry.text === 'string' && (entry.registry === null || typeof entry.registry === 'string');
}

export function memoryActivityLog(): ActivityLog {
  let entries: ActivityEntry[] = [];
  return {
    list: () => [...entries],
    add(entry) {
      entries = [entry, ...entries].slice(0, activityLimit);
    },
  };
}

/** Kept in `activity.json`; a file Berth cannot read is left as it is and the entry is only logged. */
export function fileActivityLog(path: string, log: Pick<Logger, 'warn'>): ActivityLog {
  const read = () => {
    const { data } = readJsonDocument(path);
    return { entries: Array.isArray(data.entries) ? data.entries.filter(isEntry) : [] };
  };
  return {
    list() {
      try {
        return read().entries;
      } catch (error) {
        log.warn('the activity list cannot be read', { reason: errorMessage(error) });
        return [];
      }
    },
    add(entry) {
      try {
        updateJsonDocument(path, (data) => ({ entries: [entry, ...(Array.isArray(data.entries) ? data.entries.filter(isEntry) : [])].slice(0, activityLimit) }), '  ');
      } catch (error) {
        // The activity list only informs; the action it describes has already happened.
        log.warn('an activity entry was not saved', { reason: errorMessage(error), entry: entry.text });
      }
    },
  };
}
