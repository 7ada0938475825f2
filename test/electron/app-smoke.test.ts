import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { bridgeMethods } from '../../main/api/bridge-contract.js';
import { statusNotifierWatcher } from '../../main/app/tray-host.js';
import { fileSecretStore } from '../../main/secrets/file-store.js';
import { keychain } from '../../main/secrets/keychain.js';
import { projectRoot, run, uniqueName, waitFor, workspace, type Workspace } from '../helpers/berth.js';
import { holdBusName } from '../helpers/session-bus.js';
import { electronBinary, unless } from '../rig/components.js';
import { startHostile } from '../rig/hostile.js';
import { startRig, type Rig } from '../rig/index.js';

/**
 * The real app in real Electron (the GitHub workflow's matrix; under xvfb-run on Linux). Where no Electron binary can
 * be downloaded, this suite is listed as "not run: no Electron binary", never as passed.
 */

interface RunningApp {
  app: ElectronApplication;
  problems: string[];
}

function appEnv(ws: Workspace): NodeJS.ProcessEnv {
  // Electron's own userData (its single-instance lock) in the workspace too, so runs never meet the user's Berth.
  return { ...ws.env, XDG_CONFIG_HOME: join(ws.home, 'config'), ELECTRON_ENABLE_LOGGING: '1' };
}

async function launch(ws: Workspace, args: string[] = [], env = appEnv(ws)): Promise<RunningApp> {
  const app = await _electron.launch({ executablePath: electronBinary() as string, args: [projectRoot, ...args], env: env as Record<string, string> });
  const problems: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  };
  app.windows().forEach(watch);
  app.on('window', watch);
  return { app, problems };
}

/** Every lock file in Berth's folder (locks/, the secret file's) and docker's (beside config.json), relative to its folder. */
function lockFiles(ws: Workspace): string[] {
  return [ws.berthHome, ws.dockerConfig].flatMap((dir) =>
    existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).filter((file) => file.endsWith('.lock')) : [],
  );
}

/**
 * A Harbor registry signed in (web sign-in) with its keep-alive overdue, its CLI secret in the file store (the app reads it
 * without a keychain prompt) or, on Windows, whose file store needs POSIX modes, in the Credential Manager.
 */
async function signedInRegistry(ws: Workspace, url: string): Promise<{ env: NodeJS.ProcessEnv; clear(): Promise<void> }> {
  mkdirSync(ws.berthHome, { recursive: true });
  writeFileSync(join(ws.berthHome, 'settings.json'), JSON.stringify({ registries: [{ name: 'work', kind: 'harbor', method: 'web', url, idleDays: 30 }] }));
  const day = 86_400_000;
  const at = (ms: number) => new Date(Date.now() + ms).toISOString();
  const status = { state: 'valid', username: 'dana', signedInAt: at(-2 * day), lastKeptAliveAt: at(-day), nextKeepAliveAt: at(-60_000), idleDeadline: at(29 * day), writtenTo: 'config' };
  writeFileSync(join(ws.berthHome, 'status.json'), JSON.stringify({ registries: { work: status } }));
  const store = process.platform === 'win32' ? keychain(ws.berthHome) : fileSecretStore(ws.berthHome);
  await store.set('work', 'cli-secret', 'smoke-test-cli-secret');
  return { env: process.platform === 'win32' ? {} : { BERTH_SECRET_STORE: 'file' }, clear: () => store.delete('work', 'cli-secret') };
}

async function windowShown(app: ElectronApplication): Promise<boolean> {
  return app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().some((window) => window.isVisible() && !window.isMinimized()));
}

describe('the app in real Electron', { skip: unless('electron') }, () => {
  test('the window loads with no console or CSP error, and window.berth is exactly the contract', async () => {
    const { app, problems } = await launch(workspace());
    try {
      const page = await app.firstWindow();
      await page.getByText('No registries yet').waitFor();
      const exposed = await page.evaluate(() => Object.keys((globalThis as unknown as { berth: object }).berth).sort());
      assert.deepEqual(exposed, [...bridgeMethods, 'onEvent'].sort());
      assert.equal(await page.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require), 'undefined', 'no Node in the page');
      assert.deepEqual(problems, [], 'no console error, no CSP violation');
    } finally {
      await app.close();
    }
  });

  test("--hidden opens no window where a tray host exists; a second launch shows the first one's window; Quit during a keep-alive pass waits for it and leaves no lock", async () => {
    const ws = workspace();
    // A signed-in registry whose keep-alive is overdue: the pass starts at launch, takes the registry's lock, and its
    // Harbor holds the request until the test lets it go.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const harbor = await startHostile((_req, res) => void released.then(() => res.writeHead(503).end()));
    const secrets = await signedInRegistry(ws, harbor.url);
    const env = { ...appEnv(ws), ...secrets.env };
    // macOS and Windows always have a tray; on Linux a StatusNotifier host must own its name on the session bus.
    const host = process.platform === 'linux' ? await holdBusName(process.env.DBUS_SESSION_BUS_ADDRESS as string, statusNotifierWatcher) : { release: () => undefined };
    let first: RunningApp | undefined;
    try {
      first = await launch(ws, ['--hidden'], env);
      const log = join(ws.berthHome, 'berth.log');
      await waitFor('the app has started', () => existsSync(log) && /app started .*tray=true/.test(readFileSync(log, 'utf8')), 60_000);
      await waitFor('the keep-alive pass holds the registry lock and waits for Harbor', () => harbor.requests.length > 0 && lockFiles(ws).includes(join('locks', 'work.lock')), 60_000);
      assert.equal(first.app.windows().length, 0, 'started at login with a tray: no window');

      const second = await run(electronBinary() as string, [projectRoot], env);
      assert.equal(second.code, 0, second.stderr);
      await waitFor('the first instance shows its window', () => windowShown(first!.app), 30_000);

      await first.app.evaluate(({ app }) => app.quit());
      assert.equal(first.app.process().exitCode, null, 'quit waits for the pass under way');
      release();
      await waitFor('the app has ended', async () => first!.app.process().exitCode !== null, 60_000);
      assert.match(readFileSync(log, 'utf8'), /quit after the passes under way finished/);
      assert.deepEqual(lockFiles(ws), [], 'no lock left in locks/, beside config.json or anywhere in Berth\'s folders');
      const again = await launch(ws, [], env);
      try {
        await again.app.firstWindow();
      } finally {
        await again.app.close();
      }
    } finally {
      release();
      host.release();
      if (first && first.app.process().exitCode === null) await first.app.close();
      await secrets.clear();
      await harbor.stop();
    }
  });

  test('ELECTRON_RUN_AS_NODE=1 runs the CLI on this Electron, with keytar loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-smoke-'));
    const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1', BERTH_HOME: dir };
    const version = await run(electronBinary() as string, [join(projectRoot, 'bin', 'berth.js'), '--version'], env);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const keytar = await run(electronBinary() as string, ['-e', 'require("keytar"); console.log(process.versions.electron)'], { ...env, NODE_PATH: join(projectRoot, 'node_modules') });
    assert.equal(keytar.code, 0, keytar.stderr);
    assert.match(keytar.stdout, /^\d+\.\d+\.\d+\n$/, 'keytar loads in Electron as Node');
  });
});

describe('the app in real Electron, on the rig', { skip: unless('electron', 'keyring', 'docker-registry', 'openssl') }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig?.stop());

  test('a Harbor added through window.berth appears, with no console error', async () => {
    const { app, problems } = await launch(workspace());
    try {
      const page = await app.firstWindow();
      await page.getByText('No registries yet').waitFor();
      const name = uniqueName('smoke');
      await page.evaluate(({ name, url }) => (globalThis as unknown as { berth: { addRegistry(input: object): Promise<unknown> } }).berth.addRegistry({ name, url }), { name, url: rig.harbor.url });
      await page.getByRole('heading', { name }).waitFor();
      assert.deepEqual(problems, []);
    } finally {
      await app.close();
    }
  });
});
