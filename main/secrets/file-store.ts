import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withFileLock } from '../credentials/file-lock.js';
import { lockFileFor, parseJsonObject, removeLeftovers, writeTextFileAtomically, type JsonObject } from '../credentials/json-file.js';
import { BerthError, errorMessage } from '../errors.js';
import { rememberSecret } from '../log/redact.js';
import { secretsFile } from '../settings/paths.js';
import type { SecretKind, SecretStore } from './keychain.js';

function entry(registry: string, kind: SecretKind): string {
  return `${registry}/${kind}`;
}

/** The folder must be Berth's alone: made 0700, and refused when others may read or write it. */
function privateFolder(path: string): void {
  const folder = join(path, '..');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  const mode = statSync(folder).mode & 0o777;
  if (mode !== 0o700) throw new BerthError('invalid-setting', `${folder} must be readable by you alone (mode 700), but is ${mode.toString(8)}; Berth keeps no secrets there.`);
}

/** The entries, or none when there is no file yet; a file that does not parse is never written over. */
function readAll(path: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new BerthError('file-write', `Cannot read Berth's secret file ${path}: ${errorMessage(error)}`, { cause: error });
  }
  return text.trim() === '' ? {} : parseJsonObject(text, path);
}

/** One change of the file under its lock, always written 0600 whatever mode someone gave it. */
function change(path: string, edit: (data: JsonObject) => JsonObject | null): void {
  privateFolder(path);
  withFileLock(lockFileFor(path), () => {
    const next = edit(readAll(path));
    if (next !== null) writeTextFileAtomically(path, `${JSON.stringify(next, null, 2)}\n`, 0o600);
    // A write clears what killed writers left (full copies of the secrets); a change that writes nothing must too.
    else removeLeftovers(path);
  });
}

/**
 * Secrets in a plain file, for machines with no keychain (servers, WSL, SSH sessions), chosen explicitly
 * (`berth config secret-store file` or BERTH_SECRET_STORE=file), never as a silent fallback. Anyone who can read the file
 * as you can read the secrets: it is 0600 in a 0700 folder, written atomically under a lock, like git-credential-manager's
 * plaintext store.
 */
export function fileSecretStore(dir: string): SecretStore {
  const path = secretsFile(dir);
  return {
    async get(registry, kind) {
      const value = readAll(path)[entry(registry, kind)];
      if (typeof value !== 'string') return null;
      rememberSecret(value);
      return value;
    },
    async set(registry, kind, value) {
      rememberSecret(value);
      change(path, (data) => ({ ...data, [entry(registry, kind)]: value }));
    },
    async delete(registry, kind) {
      // No folder, no file and nothing left over: nothing to delete, and no folder made for it.
      if (!existsSync(dirname(path))) return;
      change(path, (data) => {
        if (!(entry(registry, kind) in data)) return null;
        const { [entry(registry, kind)]: _removed, ...rest } = data;
        return rest;
      });
    },
    async registries() {
      return [...new Set(Object.keys(readAll(path)).map((name) => name.split('/')[0] as string))];
    },
  };
}
