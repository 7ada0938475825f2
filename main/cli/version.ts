import { readFileSync } from 'node:fs';

/** Berth's version, from package.json: two folders above both the compiled dist/main/cli and the bundle's dist/cli/chunks. */
export function berthVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
