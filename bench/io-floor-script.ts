import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { projectRoot } from '../test/helpers/berth.js';

/** bench/io-floor.ts bundled to one CommonJS file, which Node starts without its ES module loader, as it starts the CLI. */
export async function ioFloorScript(): Promise<{ file: string; remove(): void }> {
  const folder = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const file = join(folder, 'io-floor.cjs');
  await build({ entryPoints: [join(projectRoot, 'bench', 'io-floor.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: file, logLevel: 'warning' });
  return { file, remove: () => rmSync(folder, { recursive: true, force: true }) };
}
