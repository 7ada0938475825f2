import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { node22Binary, unless } from '../rig/components.js';
import { modulesLoaded, projectRoot, run } from '../helpers/berth.js';

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

test('bin/berth.js and bin/docker-credential-berth.js start CommonJS quick starts in dist/cli, each with its content hash and full CLI', () => {
  assert.equal(JSON.parse(readFileSync(join(projectRoot, 'bin', 'package.json'), 'utf8')).type, 'commonjs');
  const quickStarts = JSON.parse(readFileSync(join(cliDir, 'quick-starts.json'), 'utf8')) as Record<string, { file: string; hash: string; answers: string[]; full: string }>;
  const roles = [
    ['berth', ['check'], 'berth-main.js'],
    ['docker-credential-berth', ['get', 'list', 'version'], 'credential-helper-main.js'],
  ] as const;
  for (const [name, answers, full] of roles) {
    assert.equal(readFileSync(join(projectRoot, 'bin', `${name}.js`), 'utf8'), `#!/usr/bin/env node\nrequire('../dist/cli/quick-start.cjs').runQuickStart('${name}');\n`);
    const entry = quickStarts[name];
    assert.deepEqual(entry, { file: `${name}.cjs`, hash: createHash('sha256').update(readFileSync(join(cliDir, `${name}.cjs`))).digest('hex').slice(0, 16), answers, full });
    assert.ok(existsSync(join(cliDir, full)), full);
  }
  const everything = modulesIn(readdirSync(join(cliDir, 'chunks')).map((file) => join(cliDir, 'chunks', file)));
  assert.ok(everything.some((module) => module.startsWith('node_modules/openid-client/')), 'openid-client is bundled');
  assert.ok(!everything.some((module) => /node_modules\/(keytar|undici|electron|oidc-provider)\//.test(module) || module.startsWith('main/app/')), 'native, optional and app-only modules stay out');
});

test('what a command does not use is not loaded: the quick starts hold only a check and a `get`, the full CLI loads the rest when needed', () => {
  const helperQuick = modulesIn([join(cliDir, 'docker-credential-berth.cjs')]);
  const berthQuick = modulesIn([join(cliDir, 'berth.cjs')]);
  assert.ok(helperQuick.includes('main/cli/credential-helper.ts') && berthQuick.includes('main/api/check.ts'), `${helperQuick.join(', ')}; ${berthQuick.join(', ')}`);
  for (const heavy of ['node_modules/', 'main/oidc/', 'main/providers/harbor-', 'main/providers/token.ts', 'main/stackit/access-token', 'main/stackit/key-flow', 'main/api/index.ts', 'main/doctor/', 'main/keepalive/']) {
    assert.ok(!helperQuick.some((module) => module.startsWith(heavy)), `the helper's quick start holds no ${heavy}`);
    assert.ok(!berthQuick.some((module) => module.startsWith(heavy)), `berth's quick start holds no ${heavy}`);
  }
  assert.ok(!helperQuick.some((module) => module.startsWith('main/net/')), "the helper's quick start holds no HTTP code");
  // A quick start runs from a code cache, where import() is not possible: it has none.
  for (const quick of ['docker-credential-berth.cjs', 'berth.cjs']) assert.doesNotMatch(readFileSync(join(cliDir, quick), 'utf8'), /\bimport\(/, quick);
  const cliStart = modulesIn(staticClosure(join(cliDir, 'berth-main.js')));
  assert.ok(cliStart.includes('main/cli/berth.ts'), cliStart.join(', '));
  for (const lazy of ['node_modules/openid-client/', 'node_modules/jose/', 'main/oidc/', 'main/providers/harbor-', 'main/providers/token.ts', 'main/providers/stackit.ts', 'main/stackit/', 'main/api/index.ts', 'main/net/', 'main/secrets/keychain.ts', 'main/registry/pull-check.ts', 'main/doctor/']) {
    assert.ok(!cliStart.some((module) => module.startsWith(lazy)), `${lazy} loads only when a command needs it`);
  }
  // The ESM view of node:http reads every export, whose WebSocket getters load Node's own undici: the quick registry requests (berth check) require it instead.
  const quickRequests = readdirSync(join(cliDir, 'chunks')).filter((file) => modulesIn([join(cliDir, 'chunks', file)]).includes('main/net/node-request.ts'));
  assert.ok(quickRequests.length > 0);
  for (const file of quickRequests) assert.doesNotMatch(readFileSync(join(cliDir, 'chunks', file), 'utf8'), /^import [^;]*?from "node:http";$/m, `${file}: node:http is required, not imported`);
});

test('docker-credential-berth get and list load no ES module, crypto, HTTP or TLS', async () => {
  const home = mkdtempSync(join(tmpdir(), 'berth-helper-'));
  const env = { ...process.env, BERTH_HOME: join(home, 'berth'), DOCKER_CONFIG: join(home, 'docker') };
  for (const [action, input] of [['get', 'registry.example.org'], ['list', undefined]] as const) {
    const { run: answer, modules } = await modulesLoaded([join(projectRoot, 'bin', 'docker-credential-berth.js'), action], env, input);
    assert.equal(answer.code, action === 'get' ? 1 : 0, answer.stdout + answer.stderr);
    // docker starts the helper on every pull: each of these costs it more than its own work (an ES module: Node's loader for them).
    const costly = modules.filter((module) => /^NativeModule (internal\/modules\/esm\/module_job|crypto|http|https|tls)$/.test(module));
    assert.deepEqual(costly, [], `${action} loaded ${costly.join(', ')}`);
  }
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
