import { closeSync, constants, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { redact } from './redact.js';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function formatLogLine(level: LogLevel, message: string, fields: LogFields = {}, at = new Date()): string {
  const extra = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ');
  return redact(`${at.toISOString()} ${level.toUpperCase()} ${message}${extra ? ` ${extra}` : ''}`);
}

/** Past this size the log moves to `<name>.1` (replacing the one before) and starts over: two files at most. */
export const logRotateBytes = 1024 * 1024;

// Never through a symbolic link someone planted in Berth's folder: the log would land wherever it points.
const appendFlags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

/** Opens the log for one line, moving a full one aside first. */
function openLog(path: string, rotateBytes: number): number {
  const fd = openSync(path, appendFlags, 0o600);
  if (fstatSync(fd).size < rotateBytes) return fd;
  closeSync(fd);
  renameSync(path, `${path}.1`);
  return openSync(path, appendFlags, 0o600);
}

/** Appends one line per event to `path` (the log in the config folder); secrets are redacted on the way out. */
export function fileLogger(path: string, alsoTo?: (line: string) => void, rotateBytes = logRotateBytes): Logger {
  let folderReady = false;
  const write = (level: LogLevel, message: string, fields?: LogFields): void => {
    const line = formatLogLine(level, message, fields);
    alsoTo?.(line);
    try {
      if (!folderReady) {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        folderReady = true;
      }
      const fd = openLog(path, rotateBytes);
      try {
        writeSync(fd, `${line}\n`);
      } finally {
        closeSync(fd);
      }
    } catch {
      // A log that cannot be written must never break a sign-in or a credential write.
    }
  };
  return {
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
  };
}
