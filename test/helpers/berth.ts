import { execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import keytar from 'keytar';
import { keychainService, secretAccount, type SecretKind } from '../../main/secrets/keychain.js';
import type { HarborOidcSettings } from '../../main/settings/model.js';
import { secretsFile } from '../../main/settings/paths.js';
import type { Rig } from '../rig/index.js';

export const projectRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
export const berthBin = join(projectRoot, 'bin', 'berth.js');
export const browserDriver = join(projectRoot, 'dist', 'test', 'rig', 'browser-driver.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(program: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<Run> {
  return new Promise((done) => {
    const child = execFile(program, args, { env, timeout: 120_000, maxBuffer: 10 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Node's own modules a run of `args` (under this Node) loaded, with its result: to see what a command's start costs. */
export async function modulesLoaded(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<{ run: Run; modules: string[] }> {
  const folder = mkdtempSync(join(tmpdir(), 'berth-modules-'));
  const probe = join(folder, 'probe.cjs');
  const list = join(folder, 'modules.json');
  writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(process.moduleLoadList)));\n`);
  const result = await run(process.execPath, ['--require', probe, ...args], env, input);
  return { run: result, modules: JSON.parse(readFileSync(list, 'utf8')) as string[] };
}

/** A person's machine in miniature: Berth's config folder and docker's config folder, both empty. */
export interface Workspace {
  home: string;
  berthHome: string;
  dockerConfig: string;
  env: NodeJS.ProcessEnv;
  /** Everything Berth printed, for the leak check. */
  outputs: string[];
  berth(...args: string[]): Promise<Run>;
  /** `berth` with this text on standard input. */
  berthWithInput(input: string, ...args: string[]): Promise<Run>;
}

export function workspace(): Workspace {
  const home = mkdtempSync(join(tmpdir(), 'berth-home-'));
  const berthHome = join(home, 'berth');
  const dockerConfig = join(home, 'docker');
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOME: berthHome, DOCKER_CONFIG: dockerConfig, XDG_RUNTIME_DIR: '', REGISTRY_AUTH_FILE: '' };
  const outputs: string[] = [];
  return {
    home,
    berthHome,
    dockerConfig,
    env,
    outputs,
    async berth(...args) {
      const result = await run(process.execPath, [berthBin, ...args], env);
      outputs.push(result.stdout, result.stderr);
      return result;
    },
    async berthWithInput(input, ...args) {
      const result = await run(process.execPath, [berthBin, ...args], env, input);
      outputs.push(result.stdout, result.stderr);
      return result;
    },
  };
}

/** Berth's settings as if these Harbors had been added with Berth's own client, for tests that must not ask a Harbor (`<name>.example.org`). */
export function withHarbors(ws: Workspace, ...names: string[]): void {
  const registries: HarborOidcSettings[] = names.map((name) => ({
    name,
    kind: 'harbor',
    method: 'oidc',
    url: `https://${name}.example.org`,
    issuer: 'https://sso.example.org/realms/corp',
    clientId: 'berth',
    scopes: 'openid',
    authParams: {},
    idleDays: 30,
  }));
  mkdirSync(ws.berthHome, { recursive: true });
  writeFileSync(join(ws.berthHome, 'settings.json'), JSON.stringify({ registries }));
}

/** What Berth keeps in the OS keychain for a registry of this workspace, read straight from the keychain. */
export function storedSecret(ws: Workspace, name: string, kind: SecretKind): Promise<string | null> {
  return keytar.getPassword(keychainService, secretAccount(ws.berthHome, name, kind));
}

export function uniqueName(prefix = 'rig'): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export function addArgs(rig: Rig, name: string, ...extra: string[]): string[] {
  return ['add', 'harbor', name, '--url', rig.harbor.url, '--issuer', rig.idp.issuer, '--client-id', rig.berthClientId, '--auth-param', 'prompt=consent', ...extra];
}

/** `berth add` flags for windows of a few seconds: keep-alive interval, idle window, and no `expiring` warning. */
export function shortWindows(keepAliveSeconds: number, idleSeconds: number): string[] {
  return ['--keep-alive-hours', String(keepAliveSeconds / 3600), '--idle-days', String(idleSeconds / 86_400), '--warn-days', '0'];
}

/** Signs in with the CLI through the browser driver (its own cookie jar unless one is given). */
export async function cliLogin(ws: Workspace, name: string, user: string, cookieJar = join(ws.home, 'browser-cookies.json')): Promise<Run> {
  return ws.berth('login', name, '--browser-command', browserCommand('--login', user, '--cookie-jar', cookieJar), '--timeout', '60');
}

/** The status as persisted (`valid` is never shown as `expiring` here); cheap enough to poll. */
export function storedStatus(ws: Workspace, name: string): Record<string, unknown> {
  const path = join(ws.berthHome, 'status.json');
  if (!existsSync(path)) return {};
  return ((JSON.parse(readFileSync(path, 'utf8')) as { registries?: Record<string, Record<string, unknown>> }).registries?.[name] ?? {}) as Record<string, unknown>;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}

/** `berth keepalive` in the background, as on a server without a tray. */
export interface KeepaliveProcess {
  lines: string[];
  stop(): Promise<Run>;
}

export function startKeepalive(ws: Workspace, ...flags: string[]): KeepaliveProcess {
  const child = spawn(process.execPath, [berthBin, 'keepalive', ...flags], { env: ws.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const lines: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    lines.splice(0, lines.length, ...stdout.split('\n').filter(Boolean));
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return {
    lines,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      ws.outputs.push(stdout, stderr);
      return { code, stdout, stderr };
    },
  };
}

export function browserCommand(...flags: string[]): string {
  return [process.execPath, browserDriver, ...flags].map((word) => `'${word}'`).join(' ');
}

export function dockerConfigJson(ws: Workspace): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8')) as Record<string, unknown>;
}

export function dockerInspect(ws: Workspace, ref: string): Promise<Run> {
  return run('docker', ['manifest', 'inspect', '--insecure', ref], ws.env);
}

export function skopeoInspect(ws: Workspace, ref: string): Promise<Run> {
  return run('skopeo', ['inspect', '--tls-verify=false', `docker://${ref}`], ws.env);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** No secret or token of the rig appears in Berth's config folder (settings, status, log) or in anything Berth printed. */
export function assertNoSecretsLeaked(rig: Rig, ws: Workspace): void {
  // The explicit file store is, like the keychain, where secrets belong: it must be the user's alone.
  const store = secretsFile(ws.berthHome);
  if (existsSync(store)) {
    assert.equal(statSync(store).mode & 0o777, 0o600, `${store} is readable by you alone`);
    assert.equal(statSync(dirname(store)).mode & 0o777, 0o700, `${dirname(store)} is yours alone`);
  }
  const files = filesUnder(ws.berthHome).filter((path) => path !== store);
  const places = [...files.map((path) => ({ name: path, text: readFileSync(path, 'utf8') })), ...ws.outputs.map((text, i) => ({ name: `output #${i}`, text }))];
  assert.ok(places.some((place) => place.name.endsWith('berth.log')), 'Berth wrote a log to check');
  for (const secret of rig.secrets()) {
    for (const place of places) assert.ok(!place.text.includes(secret), `a secret of length ${secret.length} leaked into ${place.name}`);
  }
}

/** A workspace with a registry added (with extra `berth add` flags) and signed in as `user` through the CLI. */
export async function signedIn(rig: Rig, user: string, ...addFlags: string[]): Promise<{ ws: Workspace; name: string }> {
  const ws = workspace();
  const name = uniqueName(user);
  const added = await ws.berth(...addArgs(rig, name, ...addFlags));
  assert.equal(added.code, 0, added.stderr);
  const login = await cliLogin(ws, name, user);
  assert.equal(login.code, 0, login.stderr);
  return { ws, name };
}

/** Puts `docker-credential-berth` on the workspace's PATH the way `npm install -g` links it. */
export function helperOnPath(ws: Workspace): void {
  const bin = join(ws.home, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(join(projectRoot, 'bin', 'docker-credential-berth.js'), join(bin, 'docker-credential-berth'));
  ws.env.PATH = `${bin}${delimiter}${ws.env.PATH ?? ''}`;
}

/** `berth regenerate` killed the moment Harbor took the new secret, before Harbor's answer: its journal is left open. Returns Harbor's new secret. */
export async function killedRegenerate(ws: Workspace, rig: Rig, name: string): Promise<string> {
  const child = spawn(process.execPath, [berthBin, 'regenerate', name, '--yes'], { env: ws.env, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  rig.harbor.onSecretChanged = () => child.kill('SIGKILL');
  try {
    await exited;
  } finally {
    rig.harbor.onSecretChanged = undefined;
  }
  return rig.harbor.user(String(storedStatus(ws, name).username))?.secret as string;
}
