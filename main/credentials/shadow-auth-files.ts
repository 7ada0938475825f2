import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { authsOf, hostOf, registryKey, sameJson, withAuthEntry, withBerthHelper } from './docker-config.js';
import { readJsonDocument, updateJsonDocument, type JsonObject } from './json-file.js';

/** What to put in a shadowing file for one host: a plaintext `auth`, a pointer to Berth's helper, or nothing (logout). */
export type ShadowUpdate = { auth: string } | 'helper' | 'erase';

export interface ShadowResult {
  updated: string[];
  /** Files that hold an entry for the host but could not be read or written; named so the user can fix them. */
  problems: string[];
}

/**
 * Auth files that podman, skopeo, buildah and helm read before docker's config.json, so a stale entry there
 * shadows what Berth writes: the containers auth files (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
 * `~/.config/containers/auth.json`) and helm's `registry/config.json` (`$HELM_REGISTRY_CONFIG`, else in helm's config home).
 */
export function shadowingAuthFiles(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home = homedir()): string[] {
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  const helmDefaultHome =
    platform === 'darwin' ? join(home, 'Library', 'Preferences', 'helm') : platform === 'win32' ? join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'helm') : join(configHome, 'helm');
  const files = [
    env.REGISTRY_AUTH_FILE,
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : undefined,
    join(configHome, 'containers', 'auth.json'),
    env.HELM_REGISTRY_CONFIG || join(env.HELM_CONFIG_HOME || helmDefaultHome, 'registry', 'config.json'),
  ];
  return [...new Set(files.filter((file): file is string => Boolean(file)))];
}

/** Keys naming the whole registry (`host`, `https://host/`, `https://host/v1/`); `host/namespace` entries are deliberate and left alone. */
function hostLevelKeys(data: JsonObject, key: string): string[] {
  return Object.keys(authsOf(data)).filter((existing) => {
    if (registryKey(existing) !== key) return false;
    const rest = existing.replace(/^https?:\/\//i, '').slice(hostOf(existing).length);
    return /^\/?(v[12]\/?)?$/.test(rest);
  });
}

function edited(data: JsonObject, key: string, update: ShadowUpdate): JsonObject | null {
  const keys = hostLevelKeys(data, key);
  const withoutHelper = withBerthHelper(data, key, false);
  // Only a file that already speaks for this host (an entry, or Berth as its helper) shadows docker's; any other file is none of Berth's business.
  if (keys.length === 0 && withoutHelper === data) return null;
  if (update === 'erase') return withAuthEntry(withoutHelper, key, undefined, keys);
  if (update === 'helper') return withAuthEntry(withBerthHelper(data, key, true), key, undefined, keys);
  // The entry keeps the key the file already used for the host (`https://host`, `host`).
  return withAuthEntry(withoutHelper, keys[0] ?? key, { auth: update.auth }, keys);
}

/** The shadowing files whose entry for the host differs from what `update` would make it (they would be rewritten). */
export function differingShadows(files: string[], server: string, update: ShadowUpdate): string[] {
  const key = registryKey(server);
  return files.filter((file) => {
    try {
      const document = readJsonDocument(file);
      const next = document.exists ? edited(document.data, key, update) : null;
      return next !== null && !sameJson(next, document.data);
    } catch {
      return false;
    }
  });
}

/** Updates (or clears) the host's entry in each shadowing file that has one, the same safe way as docker's config.json. */
export function updateShadowingFiles(files: string[], server: string, update: ShadowUpdate): ShadowResult {
  const key = registryKey(server);
  const result: ShadowResult = { updated: [], problems: [] };
  for (const file of files) {
    try {
      // Files that do not exist are never created.
      if (!readJsonDocument(file).exists) continue;
      let changed = false;
      updateJsonDocument(file, (data) => {
        const next = edited(data, key, update);
        changed = next !== null;
        return next;
      });
      if (changed) result.updated.push(file);
    } catch (error) {
      result.problems.push(errorMessage(error));
    }
  }
  return result;
}
