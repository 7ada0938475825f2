import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BerthError, errorMessage } from '../errors.js';
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

/** A CA file a person named: an absolute path to a readable PEM certificate, or a usage error naming the file and the registry. */
export function checkedCaFile(input: string, name: string): string {
  const caFile = resolve(input);
  if (!existsSync(caFile)) throw new BerthError('usage', `The CA file ${caFile} for ${name} does not exist.`);
  let text: string;
  try {
    text = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new BerthError('usage', `Cannot read the CA file ${caFile} for ${name}: ${errorMessage(error)}.`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new BerthError('usage', `The CA file ${caFile} for ${name} holds no PEM certificate ("-----BEGIN CERTIFICATE-----").`);
  return caFile;
}

/** A CA file given when a registry is added, if any. */
export function caFileOf(input: string | undefined, name: string): string | undefined {
  return input ? checkedCaFile(input, name) : undefined;
}

export function checkKeepAliveHours(hours: number | undefined, name: string): void {
  if (hours !== undefined && !(hours >= 0)) throw new BerthError('usage', `--keep-alive-hours for ${name} must be 0 (off) or a positive number.`);
}

export function checkWarnDays(days: number | undefined, name: string): void {
  if (days !== undefined && !(days >= 0)) throw new BerthError('usage', `--warn-days for ${name} must be 0 or a positive number.`);
}

/** Scopes for Berth's own client, normalised; Harbor needs the ID token, so `openid` is required. */
export function checkedScopes(input: string, name: string): string {
  const scopes = input.trim().split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid')) throw new BerthError('usage', `The scopes of ${name} must include "openid" (Harbor needs the ID token).`);
  return scopes.join(' ');
}

/** The settings every kind of registry shares, checked: warning days and the hours between passes. */
export function commonNumbers(input: { keepAliveHours?: number; warnDays?: number }, name: string): { keepAliveHours?: number; warnDays?: number } {
  checkKeepAliveHours(input.keepAliveHours, name);
  checkWarnDays(input.warnDays, name);
  return {
    ...(input.keepAliveHours !== undefined ? { keepAliveHours: input.keepAliveHours } : {}),
    ...(input.warnDays !== undefined ? { warnDays: input.warnDays } : {}),
  };
}
