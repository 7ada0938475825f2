import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BerthError } from '../errors.js';
import { requireSecureUrl } from '../net/http.js';

/** Input a person typed is checked like command-line usage: a bad value is their mistake to fix, not a failure. */
export function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof BerthError && error.code === 'invalid-setting') throw new BerthError('usage', error.message);
    throw error;
  }
}

/** `https://` for a bare host; only the server, no path: `harbor.example.org` → `https://harbor.example.org`. */
export function registryOrigin(input: string, name: string, what = 'Harbor'): URL {
  const trimmed = input.trim();
  const url = asUsage(() => requireSecureUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`, `The ${what} URL of ${name}`));
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new BerthError('usage', `The ${what} URL of ${name} must be just the server (like https://${what === 'Harbor' ? 'harbor' : 'registry'}.example.org), not ${input}.`);
  }
  return url;
}

/** A CA file given for a registry, as an absolute path that exists. */
export function caFileOf(input: string | undefined, name: string): string | undefined {
  const caFile = input ? resolve(input) : undefined;
  if (caFile && !existsSync(caFile)) throw new BerthError('usage', `The CA file ${caFile} for ${name} does not exist.`);
  return caFile;
}

/** The settings every kind of registry shares, checked: warning days and the hours between passes. */
export function commonNumbers(input: { keepAliveHours?: number; warnDays?: number }, name: string): { keepAliveHours?: number; warnDays?: number } {
  if (input.keepAliveHours !== undefined && !(input.keepAliveHours >= 0)) throw new BerthError('usage', `--keep-alive-hours for ${name} must be 0 (off) or a positive number.`);
  if (input.warnDays !== undefined && !(input.warnDays >= 0)) throw new BerthError('usage', `--warn-days for ${name} must be 0 or a positive number.`);
  return {
    ...(input.keepAliveHours !== undefined ? { keepAliveHours: input.keepAliveHours } : {}),
    ...(input.warnDays !== undefined ? { warnDays: input.warnDays } : {}),
  };
}
