// Bundles `berth` and `docker-credential-berth` into dist/cli with esbuild.
// - Quick entries (CommonJS, one file each): what a command run many times a day needs (docker's `get`, `berth check`),
//   so Node starts them without its ES module loader.
// - The full CLI (ES modules, split into chunks): everything else, loaded by a quick entry only when it needs it.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/cli';
const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning', external: ['keytar', 'undici', 'electron'] };
rmSync(outdir, { recursive: true, force: true });

await build({
  ...common,
  entryPoints: { 'berth-main': 'main/cli/berth-main.ts', 'credential-helper-main': 'main/cli/credential-helper-main.ts' },
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  outdir,
});

// CommonJS has no import.meta: each quick file answers import.meta.url with its own file URL.
const quick = (entry, outfile, external = []) =>
  build({
    ...common,
    entryPoints: [entry],
    format: 'cjs',
    outfile: `${outdir}/${outfile}`,
    external: [...common.external, ...external],
    define: { 'import.meta.url': '__berthModuleUrl' },
    banner: { js: 'const __berthModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
await quick('main/cli/compile-cache.ts', 'compile-cache.cjs');
// The full modules stay ES modules of the split build, imported by their built names beside the quick files.
await quick('main/cli/credential-helper-quick.ts', 'docker-credential-berth.cjs', ['./credential-helper-main.js']);
await quick('main/cli/berth-quick.ts', 'berth.cjs', ['./berth-main.js']);
