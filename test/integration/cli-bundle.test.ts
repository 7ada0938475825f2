import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { node22Binary, unless } from '../rig/components.js';
import { projectRoot, run } from '../helpers/berth.js';

const cliDir = join(projectRoot, 'dist', 'cli');

/** The files a bundle file loads before its first line runs: its static imports, and theirs. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const match of readFileSync(file, 'utf8').matchAll(/^import [^;]*?from "(\.[^"]+)";$/gms)) staticClosure(join(dirname(file), match[1] as string), seen);
  return seen;
}

/** The source modules (as esbuild names them in its comments) a set of bundle files holds. */
function modulesIn(files: Iterable<string>): string[] {
  return [...files].flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^\/\/ ((?:main|node_modules)\/\S+)$/gm)].map((match) => match[1] as string));
}

test('bin/berth.js and bin/docker-credential-berth.js run the bundles in dist/cli, each one entry file', () => {
  assert.equal(readFileSync(join(projectRoot, 'bin', 'berth.js'), 'utf8'), "#!/usr/bin/env node\nimport '../dist/cli/berth.js';\n");
  assert.equal(readFileSync(join(projectRoot, 'bin', 'docker-credential-berth.js'), 'utf8'), "#!/usr/bin/env node\nimport '../dist/cli/docker-credential-berth.js';\n");
  for (const entry of ['berth.js', 'docker-credential-berth.js']) assert.ok(existsSync(join(cliDir, entry)), entry);
  const everything = modulesIn(readdirSync(join(cliDir, 'chunks')).map((file) => join(cliDir, 'chunks', file)));
  assert.ok(everything.some((module) => module.startsWith('node_modules/openid-client/')), 'openid-client is bundled');
  assert.ok(!everything.some((module) => /node_modules\/(keytar|undici|electron|oidc-provider)\//.test(module) || module.startsWith('main/app/')), 'native, optional and app-only modules stay out');
});

test('what a command does not use is not loaded: berth starts without sign-in, OIDC, HTTP or keychain code, the helper without OIDC or HTTP', () => {
  const berthMain = readdirSync(join(cliDir, 'chunks')).find((file) => file.startsWith('berth-main-')) as string;
  const cliStart = modulesIn(staticClosure(join(cliDir, 'chunks', berthMain)));
  assert.ok(cliStart.includes('main/cli/berth.ts'), cliStart.join(', '));
  for (const lazy of ['node_modules/openid-client/', 'node_modules/jose/', 'main/oidc/', 'main/providers/harbor-', 'main/providers/token.ts', 'main/providers/stackit.ts', 'main/stackit/', 'main/api/index.ts', 'main/net/', 'main/secrets/keychain.ts', 'main/registry/pull-check.ts', 'main/doctor/']) {
    assert.ok(!cliStart.some((module) => module.startsWith(lazy)), `${lazy} loads only when a command needs it`);
  }
  const helperMain = readdirSync(join(cliDir, 'chunks')).find((file) => file.startsWith('credential-helper-main-')) as string;
  const helperStart = modulesIn(staticClosure(join(cliDir, 'chunks', helperMain)));
  // A STACKIT token cached in the keychain is served without the key flow's code (it loads only to mint).
  for (const lazy of ['node_modules/openid-client/', 'main/oidc/', 'main/providers/harbor-', 'main/api/index.ts', 'main/net/', 'main/stackit/key-flow', 'main/stackit/access-token', 'main/secrets/file-store.ts', 'main/credentials/file-lock.ts']) {
    assert.ok(!helperStart.some((module) => module.startsWith(lazy)), `the helper's get loads no ${lazy}`);
  }
  // docker starts the helper on every pull: Node's crypto and streams cost it more than its own work.
  const builtins = [...staticClosure(join(cliDir, 'chunks', helperMain))].flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/^import [^;]*?from "(node:[^"]+)";$/gms)].map((match) => match[1]));
  assert.deepEqual(builtins.filter((name) => name === 'node:crypto' || name === 'node:stream'), [], `the helper's start imports ${[...new Set(builtins)].join(', ')}`);
  // The ESM view of node:http reads every export, whose WebSocket getters load Node's own undici: the quick registry requests (berth check) require it instead.
  const quickRequests = readdirSync(join(cliDir, 'chunks')).filter((file) => modulesIn([join(cliDir, 'chunks', file)]).includes('main/net/node-request.ts'));
  assert.ok(quickRequests.length > 0);
  for (const file of quickRequests) assert.doesNotMatch(readFileSync(join(cliDir, 'chunks', file), 'utf8'), /^import [^;]*?from "node:http";$/m, `${file}: node:http is required, not imported`);
});

test('on Node 22 (Electron 45’s) the CLI keeps its compiled code in the user’s cache folder', { skip: unless('node22') }, async () => {
  const cache = mkdtempSync(join(tmpdir(), 'berth-cache-'));
  const env = { ...process.env, XDG_CACHE_HOME: cache, BERTH_HOME: join(cache, 'home') };
  const version = await run(node22Binary() as string, [join(projectRoot, 'bin', 'berth.js'), '--version'], env);
  assert.equal(version.code, 0, version.stderr);
  const folder = join(cache, 'berth', 'compile-cache');
  const entries = readdirSync(folder, { recursive: true }) as string[];
  assert.ok(entries.length > 1, `compiled code was cached in ${folder}: ${entries.join(', ')}`);
});
