import { readFileSync } from 'node:fs';

/** Berth's version, from package.json (two folders above the compiled dist/main/cli). */
export function berthVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
