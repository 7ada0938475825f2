import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bridgeHandlers, type BridgePlatform } from '../../../main/api/bridge.js';
import { bridgeChannel, bridgeMethods, type BridgeReply } from '../../../main/api/bridge-contract.js';
import { createNodeApi } from '../../../main/api/node.js';
import { fromBerthWindow, registerBridge, type IpcCaller, type IpcRegistry } from '../../../main/app/ipc.js';
import { rendererOrigin } from '../../../main/app/window-security.js';
import { withHarbors, workspace } from '../../helpers/berth.js';
import { desktopShell } from '../../helpers/desktop.js';

/** `ipcMain` faked at the boundary: the handlers Berth registers, called the way Electron calls them. */
function fakeIpc() {
  const listeners = new Map<string, (caller: IpcCaller, payload: unknown) => Promise<BridgeReply>>();
  const ipc: IpcRegistry = { handle: (channel, listener) => void listeners.set(channel, listener), removeHandler: (channel) => void listeners.delete(channel) };
  return {
    ipc,
    listeners,
    call(channel: string, payload: unknown, caller: IpcCaller = windowCaller): Promise<BridgeReply> {
      const listener = listeners.get(channel);
      assert.ok(listener, `a handler for ${channel}`);
      return listener(caller, payload);
    },
  };
}

const windowId = 7;
const windowCaller: IpcCaller = { sender: { id: windowId }, senderFrame: { url: `${rendererOrigin}/index.html` } };
// The app's own judge of callers, for a window whose WebContents id is 7.
const trusted = fromBerthWindow(() => windowId);

const harbor = { name: 'work', url: 'https://harbor.example.org', issuer: 'https://sso.example.org/realms/corp', clientId: 'berth' };

/** A Berth home that already knows one Harbor (adding one asks the Harbor, and these tests never leave the machine). */
function setUp(options: { configured?: boolean } = {}) {
  const ws = workspace();
  if (options.configured) withHarbors(ws, 'harbor');
  const api = createNodeApi(ws.env);
  const opened: string[] = [];
  const desktop = desktopShell();
  const platform: BridgePlatform = {
    openBrowser: async () => assert.fail('no sign-in in these tests'),
    openExternal: async (url) => void opened.push(url),
    startAtLogin: { get: () => false, set: () => undefined },
    desktop,
  };
  const warnings: string[] = [];
  const fake = fakeIpc();
  const unregister = registerBridge(fake.ipc, bridgeHandlers(api, platform), trusted, { warn: (message) => void warnings.push(message) });
  return { api, opened, warnings, unregister, desktop, ...fake };
}

test('one handler per use case, on its own channel, and all of them go away together', () => {
  const { listeners, unregister } = setUp();
  assert.deepEqual([...listeners.keys()].sort(), bridgeMethods.map(bridgeChannel).sort());
  unregister();
  assert.equal(listeners.size, 0);
});

test('a valid call from the window reaches the API and its answer comes back', async () => {
  const { api, call } = setUp({ configured: true });
  const reply = await call(bridgeChannel('updateSettings'), { warnDays: 5 });
  assert.deepEqual(reply, {
    ok: true,
    value: {
      keepAliveHours: 24,
      warnDays: 5,
      target: 'config',
      startAtLogin: false,
      closeWithoutTray: 'minimize',
      notifications: true,
      autoUpdate: false,
      trayShown: true,
      updatesOtherwise: 'This is a checkout: `git pull` and `npm install` update it.',
    },
  });
  assert.equal(api.preferences().warnDays, 5);
  assert.deepEqual(
    api.listRegistries().map((view) => [view.name, view.registry, view.method, view.state]),
    [['harbor', 'harbor.example.org', 'oidc', 'signed-out']],
  );
  assert.deepEqual(await call(bridgeChannel('listRegistries'), undefined), { ok: true, value: api.listRegistries() });
});

test('a caller that is not Berth\'s window is refused before anything runs', async () => {
  const { api, call, warnings } = setUp();
  const strangers: IpcCaller[] = [
    { sender: { id: 99 }, senderFrame: { url: `${rendererOrigin}/index.html` } },
    { sender: { id: windowId }, senderFrame: { url: 'https://evil.example.org/' } },
    { sender: { id: windowId }, senderFrame: { url: 'file:///tmp/page.html' } },
    { sender: { id: windowId }, senderFrame: null },
  ];
  for (const caller of strangers) {
    assert.deepEqual(await call(bridgeChannel('addRegistry'), harbor, caller), { ok: false, error: 'Berth answers only its own window.' });
  }
  assert.deepEqual(api.listRegistries(), []);
  assert.equal(warnings.length, strangers.length);
});

test('a bad payload is rejected with what is wrong, and changes nothing', async () => {
  const { api, call } = setUp();
  const cases: [string, unknown, RegExp][] = [
    ['addRegistry', 'work', /registry must be an object/],
    ['addRegistry', { ...harbor, url: 42 }, /url must be a URL/],
    ['addRegistry', { ...harbor, caFile: '/etc/shadow' }, /caFile is not a known field/],
    ['addRegistry', { name: 'work' }, /url is missing/],
    ['addRegistry', { ...harbor, method: 'password' }, /method must be "web" or "oidc"/],
    ['signInWithSecret', { name: 'work', username: 'alice' }, /secret is missing/],
    ['signInWithSecret', { name: 'work', username: 'alice', secret: 'x'.repeat(5000) }, /secret must be a non-empty string of at most 4096 characters/],
    ['signInWithSecret', { name: 'work', username: 'alice', secret: 's', extra: 1 }, /extra is not a known field/],
    ['cancelSignIn', '../work', /invalid registry name/],
    ['addRegistry', { ...harbor, authParams: { prompt: 1 } }, /authParams must be an object of strings/],
    ['signIn', '../../etc', /invalid registry name/],
    ['signIn', { name: 'work' }, /invalid registry name/],
    ['refresh', 'Work Registry', /invalid registry name/],
    ['check', 'x'.repeat(600), /invalid image reference/],
    ['check', 17, /invalid image reference/],
    ['updateSettings', { keepAliveHours: -1 }, /keepAliveHours must be a positive number/],
    ['updateSettings', { startAtLogin: 'yes' }, /startAtLogin must be true or false/],
    ['updateSettings', { theme: 'dark' }, /theme is not a known field/],
    ['updateSettings', { trayShown: false }, /trayShown is what the desktop offers, not a setting/],
    ['updateSettings', { autoUpdate: 'yes' }, /autoUpdate must be true or false/],
    ['readProfile', '{"clientId": "berth", "updateUrl": "http://updates.example.org/"}', /updateUrl must be an https URL/],
    ['readProfile', '{"issuer": "https://sso.example.org"}', /The profile is not a Berth registry profile: clientId is missing/],
    ['readProfile', '{"clientId": "berth", "method": "web"}', /The profile is not a Berth registry profile: method is not a known field/],
    ['readProfile', 'not json', /The profile is not JSON/],
    ['addRegistry', { ...harbor, updateUrl: 'https://updates.example.org/berth' }, /an update server that no profile it read named/],
    ['addRegistry', { ...harbor, updateUrl: 42 }, /an update server that no profile it read named/],
  ];
  for (const [method, payload, error] of cases) {
    const reply = await call(bridgeChannel(method as never), payload);
    assert.equal(reply.ok, false, `${method} ${JSON.stringify(payload).slice(0, 40)}`);
    assert.match(reply.ok ? '' : reply.error, error);
  }
  assert.deepEqual(api.listRegistries(), []);
  assert.deepEqual(api.preferences(), { keepAliveHours: 24, warnDays: 3, target: 'config' });
});

test("picking a profile that names an update server offers nothing and adopts nothing: that waits for a registry added from it", async () => {
  const { call, desktop } = setUp();
  const profile = { issuer: 'https://sso.example.org/realms/corp', clientId: 'berth', updateUrl: 'https://updates.example.org/berth' };
  assert.deepEqual(await call(bridgeChannel('readProfile'), JSON.stringify(profile)), { ok: true, value: profile });
  assert.deepEqual(desktop.offered, []);
  assert.equal(desktop.updateSource, null);
});

test('the window may open only http(s) pages of the registries and identity providers the user configured', async () => {
  const { call, opened } = setUp({ configured: true });
  for (const url of ['https://harbor.example.org/c/oidc/login', 'https://sso.example.org/realms/corp/account']) {
    assert.deepEqual(await call(bridgeChannel('openExternal'), url), { ok: true, value: undefined });
  }
  for (const url of ['https://evil.example.org/', 'file:///etc/passwd', 'javascript:alert(1)', 'http://harbor.example.org/', 'smb://harbor.example.org/share', 'not a url']) {
    const reply = await call(bridgeChannel('openExternal'), url);
    assert.equal(reply.ok, false, url);
  }
  assert.deepEqual(opened, ['https://harbor.example.org/c/oidc/login', 'https://sso.example.org/realms/corp/account']);
});

test('with no window open, no caller is Berth\'s window', () => {
  assert.equal(fromBerthWindow(() => undefined)(windowCaller), false);
  assert.equal(fromBerthWindow(() => windowId)(windowCaller), true);
});

test('a sign-in page from the identity provider\'s discovery document opens only on a configured origin', async () => {
  const ws = workspace();
  withHarbors(ws, 'harbor');
  const api = createNodeApi(ws.env);
  const opened: string[] = [];
  // The provider's metadata names where its login page is; a hostile or misconfigured one could name any site.
  let authorizationUrl = 'https://phish.example.net/login';
  const signingIn = { ...api, signIn: async (_name: string, options: { openBrowser: (url: string) => Promise<void> }) => (await options.openBrowser(authorizationUrl), api.listRegistries()[0]) };
  const platform: BridgePlatform = { openBrowser: async (url) => void opened.push(url), openExternal: async () => undefined, startAtLogin: { get: () => false, set: () => undefined }, desktop: desktopShell() };
  const handlers = bridgeHandlers(signingIn as typeof api, platform);
  await assert.rejects(handlers.signIn('harbor'), /The identity provider sent Berth to https:\/\/phish\.example\.net\/login, which is not the registry or identity provider you configured; Berth did not open it/);
  authorizationUrl = 'https://sso.example.org/realms/corp/protocol/openid-connect/auth?client_id=berth';
  await handlers.signIn('harbor');
  assert.deepEqual(opened, [authorizationUrl]);
});
