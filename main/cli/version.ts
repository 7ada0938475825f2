import { readFileSync } from 'node:fs';

/** Berth's version, from its package.json: the first one above this module (dist/main/cli, dist/cli or dist/cli/chunks) that is Berth's. */
export function berthVersion(): string {
  for (let folder = new URL('./', import.meta.url); folder.pathname !== '/'; folder = new URL('../', folder)) {
    try {
      const found = JSON.parse(readFileSync(new URL('package.json', folder), 'utf8')) as { name?: string; version?: string };
      if (found.name === 'berth' && found.version) return found.version;
    } catch {
      // No package.json here (or not one to read): look one folder up.
    }
  }
  throw new Error(`Berth's package.json was not found above ${import.meta.url}`);
}
