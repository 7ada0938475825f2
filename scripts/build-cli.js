// Bundles `berth` and `docker-credential-berth` into dist/cli with esbuild.
// - Quick entries (CommonJS, one file each): what a command run many times a day needs (docker's `get`, `berth check`),
//   so Node starts them without its ES module loader.
// - The full CLI (ES modules, split into chunks): everything else, loaded by a quick entry only when it needs it.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const quick = (entry, outfile) =>
  build({
    ...common,
    entryPoints: [entry],
    format: 'cjs',
    outfile: `${outdir}/${outfile}`,
    define: { 'import.meta.url': '__berthModuleUrl' },
    banner: { js: 'const __berthModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  });
await quick('main/cli/quick-start.ts', 'quick-start.cjs');
await quick('main/cli/credential-helper-quick.ts', 'docker-credential-berth.cjs');
await quick('main/cli/berth-quick.ts', 'berth.cjs');

// Each quick start's content hash keys its code cache (V8 itself checks only a script's length).
const hashOf = (file) => createHash('sha256').update(readFileSync(`${outdir}/${file}`)).digest('hex').slice(0, 16);
// `answers`: the commands a quick start answers itself (main/cli/berth-quick.ts, credential-helper-quick.ts); any other
// goes straight to `full`, the ES module of the split build that runs the whole CLI.
const roles = {
  berth: { answers: ['check'], full: 'berth-main.js' },
  'docker-credential-berth': { answers: ['get', 'list', 'version'], full: 'credential-helper-main.js' },
};
const quickStarts = Object.fromEntries(Object.entries(roles).map(([name, role]) => [name, { file: `${name}.cjs`, hash: hashOf(`${name}.cjs`), ...role }]));
writeFileSync(`${outdir}/quick-starts.json`, `${JSON.stringify(quickStarts, null, 2)}\n`);
