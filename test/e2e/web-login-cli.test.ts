import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createNodeApi } from '../../main/api/node.js';
import { BerthError } from '../../main/errors.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, berthBin, cliLogin, dockerConfigJson, dockerInspect, skopeoInspect, storedSecret, storedStatus, type Workspace, uniqueName, workspace } from '../helpers/berth.js';
import { onTerminal } from '../helpers/terminal.js';

function dockerEntry(ws: Workspace, host: string): unknown {
  const path = join(ws.dockerConfig, 'config.json');
  return existsSync(path) ? (dockerConfigJson(ws).auths as Record<string, unknown> | undefined)?.[host] : undefined;
}

async function added(ws: Workspace, rig: Rig, name: string): Promise<void> {
  const result = await ws.berth('add', 'harbor', name, '--url', rig.harbor.url);
  assert.equal(result.code, 0, result.stderr);
}

function settingsOf(ws: Workspace, name: string): Record<string, unknown> | undefined {
  const settings = JSON.parse(readFileSync(join(ws.berthHome, 'settings.json'), 'utf8')) as { registries: Record<string, unknown>[] };
  return settings.registries.find((registry) => registry.name === name);
}

/** A registry's lines in `berth list` or `berth status`: its first line and the indented ones under it. */
function listed(text: string, name: string): string {
  return text.split(/\n(?=\S)/).find((entry) => entry.startsWith(`${name} `)) ?? '';
}

describe("berth with Harbor's web login: add by URL alone, sign in with the CLI secret from the User Profile", { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring', 'tmux') }, () => {
  let rig: Rig;
  // Harbor asks its identity provider for no offline session (its admin left offline_access out of the OIDC scope).
  let online: Rig;
  // An administrator registered a client for Berth: the profile they hand out names it.
  let withClient: Rig;
  before(async () => {
    [rig, online, withClient] = await Promise.all([startRig({ berthClient: false }), startRig({ berthClient: false, harborScope: 'openid profile email' }), startRig()]);
    await Promise.all([...['wes', 'tia', 'uma', 'vic'].map((user) => rig.webLogin(user)), withClient.webLogin('alice')]);
  });
  after(() => Promise.all([rig?.stop(), online?.stop(), withClient?.stop()]));

  test('added by URL alone; one registry per host; a Harbor without offline_access is warned about at add time', async () => {
    const ws = workspace();
    const name = uniqueName('web');
    const add = await ws.berth('add', 'harbor', name, '--url', rig.harbor.url, '--json');
    assert.equal(add.code, 0, add.stderr);
    const json = JSON.parse(add.stdout) as { method: string; state: string; warnings: string[] };
    assert.deepEqual([json.method, json.state, json.warnings], ['web', 'signed-out', []]);
    assert.match(add.stderr, new RegExp(`Added ${name} \\(127\\.0\\.0\\.1:\\d+\\), signing in with Harbor's web login\\. Sign in with: berth login ${name}`));
    assert.doesNotMatch(add.stderr, /warning/);
    const settings = JSON.parse(readFileSync(join(ws.berthHome, 'settings.json'), 'utf8')) as { registries: Record<string, unknown>[] };
    assert.deepEqual(settings.registries[0], { name, kind: 'harbor', url: rig.harbor.url, idleDays: 30, target: 'config', method: 'web', issuer: rig.idp.issuer });
    const status = await ws.berth('status', name);
    assert.match(status.stdout, new RegExp(`^${name} +127\\.0\\.0\\.1:\\d+ +- +web login +config +signed-out +-$`, 'm'), 'the table names the sign-in method');

    const twice = await ws.berth('add', 'harbor', 'again', '--url', `${rig.harbor.url}/`);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, new RegExp(`127\\.0\\.0\\.1:\\d+ is already in Berth as "${name}"`));

    // A bare host means https: Berth talks TLS to the double (plain http) and says so, naming the https URL.
    const host = new URL(rig.harbor.url).host;
    const bare = await workspace().berth('add', 'harbor', uniqueName('bare'), '--url', host);
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, new RegExp(`https://${host.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(bare.stderr, new RegExp(`http://${host.replace(/\./g, '\\.')}`));

    const warned = await ws.berth('add', 'harbor', uniqueName('online'), '--url', online.harbor.url, '--json');
    assert.equal(warned.code, 0, warned.stderr);
    const warning = /^warning: (.*)$/m.exec(warned.stderr)?.[1] ?? '';
    assert.match(warning, /asks its identity provider for "openid profile email" without offline_access/);
    assert.match(warning, /CLI secrets stop working when your single sign-on session ends \(usually within hours\), whatever Berth does/);
    assert.match(warning, /The Harbor administrator fixes this by adding offline_access to the OIDC scope/);
    assert.deepEqual((JSON.parse(warned.stdout) as { warnings: string[] }).warnings, [warning]);
  });

  test('--username and --secret-stdin: a wrong secret stores nothing and says so; the right one is checked, stored and written', async () => {
    const ws = workspace();
    const name = uniqueName('wes');
    const host = new URL(rig.harbor.url).host;
    await added(ws, rig, name);

    const wrong = await ws.berthWithInput('NotTheSecret1\n', 'login', name, '--username', 'wes', '--secret-stdin');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Harbor's token service at 127\.0\.0\.1:\d+ rejected the CLI secret for "wes"; nothing was stored\. Check the username and copy the secret again/);
    assert.equal(await storedSecret(ws, name, 'cli-secret'), null);
    assert.equal(dockerEntry(ws, host), undefined);
    assert.equal(storedStatus(ws, name).state, 'signed-out');

    const secret = rig.harbor.user('wes')?.secret as string;
    const right = await ws.berthWithInput(`${secret}\n`, 'login', name, '--username', 'wes', '--secret-stdin', '--json');
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stderr, /Checked: Harbor's token service at 127\.0\.0\.1:\d+ accepts the CLI secret of wes\. It is in the keychain, and docker credentials for 127\.0\.0\.1:\d+ are in place\./);
    const view = JSON.parse(right.stdout) as { state: string; method: string; username: string };
    assert.deepEqual([view.state, view.method, view.username], ['valid', 'web', 'wes']);
    assert.equal(await storedSecret(ws, name, 'cli-secret'), secret);
    for (const read of [dockerInspect, skopeoInspect]) {
      const result = await read(ws, rig.imageRef);
      assert.equal(result.code, 0, result.stderr);
    }

    // Only Harbor's web session can change a web registry's secret; the CLI says where to do it.
    const regenerate = await ws.berth('regenerate', name, '--yes');
    assert.equal(regenerate.code, 64);
    assert.match(regenerate.stderr, /regenerate it in Berth's app, or on Harbor's User Profile page .* then run `berth login .*` with the new secret/);
    assert.equal(rig.harbor.user('wes')?.secret, secret, 'Harbor still has the same secret');

    for (const args of [['--secret-stdin'], []]) {
      const refused = await ws.berthWithInput('', 'login', name, ...args);
      assert.equal(refused.code, 64, args.join(' '));
      assert.match(refused.stderr, /--secret-stdin needs --username|on a terminal Berth asks for your username and CLI secret; elsewhere pass --username and --secret-stdin/);
    }
    assertNoSecretsLeaked(rig, ws);
  });

  test('on a terminal: the browser shows Harbor, the secret is typed unseen, a wrong one is refused and the right one accepted', async () => {
    const ws = workspace();
    const name = uniqueName('tia');
    const opened = join(ws.home, 'opened-url');
    await added(ws, rig, name);
    const browser = `sh -c 'printf "%s" "$1" > ${opened}' opener`;
    const run = (args: string[]) => onTerminal([process.execPath, berthBin, 'login', name, '--browser-command', browser, ...args], ws.env);

    const first = await run([]);
    try {
      await first.waitFor(/Harbor username: $/m);
      assert.equal(readFileSync(opened, 'utf8'), `${rig.harbor.url}/c/oidc/login`, "the browser opened Harbor's web login");
      assert.match(await first.screen(), /user menu \(top right\) → User Profile and copy the CLI secret/);
      await first.typeLine('tia');
      await first.waitFor(/CLI secret \(not shown\): $/m);
      await first.typeLine('Wrong1Secret');
      const screen = await first.waitFor(/\[exit \d+\]/);
      assert.match(screen, /\[exit 1\]/);
      assert.match(screen, /rejected the CLI secret for "tia"; nothing was stored/);
      assert.doesNotMatch(screen, /Wrong1Secret/, 'the secret was not echoed');
    } finally {
      await first.stop();
    }
    assert.equal(await storedSecret(ws, name, 'cli-secret'), null);
    assert.equal(dockerEntry(ws, new URL(rig.harbor.url).host), undefined, "docker's config holds nothing for this Harbor");
    assert.equal(storedStatus(ws, name).state, 'signed-out', 'the status is untouched');

    const secret = rig.harbor.user('tia')?.secret as string;
    const second = await run([]);
    try {
      await second.waitFor(/Harbor username: $/m);
      await second.typeLine('tia');
      await second.waitFor(/CLI secret \(not shown\): $/m);
      await second.typeLine(secret);
      const screen = await second.waitFor(/\[exit \d+\]/);
      assert.match(screen, /\[exit 0\]/);
      assert.match(screen, /Checked: Harbor's token service at .* accepts the CLI secret of tia/);
      assert.ok(!screen.includes(secret), 'the secret was not echoed');
      ws.outputs.push(screen);
    } finally {
      await second.stop();
    }
    assert.equal(await storedSecret(ws, name, 'cli-secret'), secret);
    assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0);

    // Signing in again offers the user name Berth knows.
    const third = await run([]);
    try {
      await third.waitFor(/Harbor username \[tia\]: $/m);
      await third.typeLine('');
      await third.waitFor(/CLI secret \(not shown\): $/m);
      await third.typeLine(secret);
      assert.match(await third.waitFor(/\[exit \d+\]/), /\[exit 0\]/);
    } finally {
      await third.stop();
    }
    assertNoSecretsLeaked(rig, ws);
  });

  test('a registry profile alone gives the name, the URL and the client id (method oidc), and signs in; flags override what the profile says; `berth list` names each method', async () => {
    const ws = workspace();
    const name = uniqueName('corp');
    const profile = join(ws.home, 'corp-harbor.json');
    writeFileSync(profile, JSON.stringify({ name, url: withClient.harbor.url, clientId: withClient.berthClientId, idleDays: 20 }));
    const add = await ws.berth('add', 'harbor', '--profile', profile, '--json');
    assert.equal(add.code, 0, add.stderr);
    const view = JSON.parse(add.stdout) as { name: string; method: string; registry: string };
    assert.deepEqual([view.name, view.method, view.registry], [name, 'oidc', new URL(withClient.harbor.url).host]);
    assert.match(add.stderr, new RegExp(`Added ${name} \\(127\\.0\\.0\\.1:\\d+\\), signing in with Berth's own OIDC client`));
    assert.deepEqual(settingsOf(ws, name), {
      name,
      kind: 'harbor',
      url: withClient.harbor.url,
      idleDays: 20,
      target: 'config',
      method: 'oidc',
      issuer: withClient.idp.issuer,
      clientId: withClient.berthClientId,
      scopes: 'openid profile email offline_access',
      authParams: {},
    });
    const login = await cliLogin(ws, name, 'alice');
    assert.equal(login.code, 0, login.stderr);
    assert.equal(storedStatus(ws, name).state, 'valid');
    assert.equal((await dockerInspect(ws, withClient.imageRef)).code, 0);

    // Each registry's entry in `berth list` says how it signs in.
    const web = uniqueName('web');
    await added(ws, rig, web);
    const list = await ws.berth('list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME +REGISTRY +METHOD +STATE$/m);
    assert.match(listed(list.stdout, name), / {2}own client {2,}valid$/m);
    assert.match(listed(list.stdout, web), / {2}web login {2,}signed-out$/m);

    // The person's flags win over the administrator's profile, field by field; the profile fills in the rest.
    const other = workspace();
    const overridden = join(other.home, 'old-profile.json');
    writeFileSync(
      overridden,
      JSON.stringify({ name: 'from-profile', url: rig.harbor.url, clientId: 'old-client', scopes: 'openid', authParams: { kc_idp_hint: 'corp', prompt: 'login' }, idleDays: 20, loopbackPort: 4711 }),
    );
    const flags = await other.berth(
      'add', 'harbor', 'mine', '--profile', overridden, '--url', withClient.harbor.url, '--client-id', withClient.berthClientId,
      '--scope', 'openid profile offline_access', '--auth-param', 'prompt=consent', '--idle-days', '5', '--loopback-port', '4712',
    );
    assert.equal(flags.code, 0, flags.stderr);
    assert.equal(settingsOf(other, 'from-profile'), undefined);
    assert.deepEqual(settingsOf(other, 'mine'), {
      name: 'mine',
      kind: 'harbor',
      url: withClient.harbor.url,
      idleDays: 5,
      target: 'config',
      method: 'oidc',
      issuer: withClient.idp.issuer,
      clientId: withClient.berthClientId,
      scopes: 'openid profile offline_access',
      authParams: { kc_idp_hint: 'corp', prompt: 'consent' },
      loopbackPort: 4712,
    });
    assertNoSecretsLeaked(withClient, ws);
  });

  test('misuse is refused with its reason and changes nothing: --username or --secret-stdin for Berth’s own client, a web sign-in with neither a window nor a pasted secret, and Berth’s-client fields for a web registry', async () => {
    const ws = workspace();
    const oidcName = uniqueName('own');
    assert.equal((await ws.berth('add', 'harbor', oidcName, '--url', withClient.harbor.url, '--client-id', withClient.berthClientId)).code, 0);
    for (const flags of [['--username', 'alice'], ['--secret-stdin'], ['--username', 'alice', '--secret-stdin']]) {
      const refused = await ws.berthWithInput('Some1Secret', 'login', oidcName, ...flags);
      assert.equal(refused.code, 64, flags.join(' '));
      assert.match(refused.stderr, new RegExp(`--username and --secret-stdin are for registries that sign in through Harbor's web login; ${oidcName} signs in with Berth's own OIDC client\\.`));
    }
    assert.equal(storedStatus(ws, oidcName).state, undefined, 'never signed in, and no failure recorded either');
    assert.equal(await storedSecret(ws, oidcName, 'cli-secret'), null);

    // Through the API (the app without its window, a script): a web registry needs Berth's window or the pasted secret.
    const webName = uniqueName('vic');
    await added(ws, rig, webName);
    const api = createNodeApi(ws.env);
    await assert.rejects(
      api.signIn(webName, { openBrowser: () => assert.fail('no browser: Harbor’s web login needs Berth’s own window') }),
      (error: unknown) => {
        assert.ok(error instanceof BerthError);
        assert.equal(error.code, 'usage');
        assert.equal(
          error.message,
          `${webName} signs in through Harbor's web login, which needs Berth's app; in a terminal, \`berth login ${webName}\` asks for the CLI secret from Harbor's User Profile page.`,
        );
        return true;
      },
    );
    assert.equal(api.status(webName)[0]?.state, 'signed-out');
    assert.equal(await storedSecret(ws, webName, 'cli-secret'), null);
    assert.equal(dockerEntry(ws, new URL(rig.harbor.url).host), undefined);

    // Fields of Berth's own client make no sense for Harbor's web login: the API refuses them rather than keep them unused.
    const misfits = [{ clientId: 'berth' }, { scopes: 'openid' }, { authParams: { prompt: 'login' } }, { loopbackPort: 4711 }, { maxSessionDays: 2 }];
    for (const misfit of misfits) {
      await assert.rejects(api.addRegistry({ name: 'misfit', url: online.harbor.url, method: 'web', ...misfit }), (error: unknown) => {
        assert.ok(error instanceof BerthError, JSON.stringify(misfit));
        assert.equal(error.code, 'usage');
        assert.equal(
          error.message,
          "A client id, scopes, authorization parameters, a loopback port and a session maximum belong to Berth's own client (method oidc); misfit signs in through Harbor's web login, which needs none.",
        );
        return true;
      });
    }
    assert.deepEqual(
      api.listRegistries().map((registry) => registry.name),
      [oidcName, webName],
      'nothing was added',
    );
  });

  test('on a terminal where no browser can be opened (no xdg-open, no display): Harbor’s login URL is printed with the words to open it yourself, and the sign-in goes on', async () => {
    const ws = workspace();
    const name = uniqueName('uma');
    await added(ws, rig, name);
    // Only node itself, by its full path: no xdg-open (or anything else) on PATH, and no display to open a window on.
    const nothing = mkdtempSync(join(tmpdir(), 'berth-no-programs-'));
    const terminal = await onTerminal(['env', '-u', 'DISPLAY', '-u', 'WAYLAND_DISPLAY', '-u', 'BROWSER', `PATH=${nothing}`, process.execPath, berthBin, 'login', name], ws.env);
    const secret = rig.harbor.user('uma')?.secret as string;
    try {
      const asked = await terminal.waitFor(/Harbor username: $/m);
      assert.match(asked, new RegExp(`If it does not open, visit:\\n  ${rig.harbor.url.replace(/\./g, '\\.')}/c/oidc/login\\n`), "Harbor's web login, on a line of its own");
      assert.match(asked, /Could not start the system browser \(xdg-open not found\)\. Open http:\/\/127\.0\.0\.1:\d+\/c\/oidc\/login in a browser yourself\./);
      assert.match(asked, /user menu \(top right\) → User Profile and copy the CLI secret/);
      await terminal.typeLine('uma');
      await terminal.waitFor(/CLI secret \(not shown\): $/m);
      await terminal.typeLine(secret);
      const screen = await terminal.waitFor(/\[exit \d+\]/);
      assert.match(screen, /\[exit 0\]/);
      assert.match(screen, /Checked: Harbor's token service at .* accepts the CLI secret of uma/);
      ws.outputs.push(screen);
    } finally {
      await terminal.stop();
    }
    assert.equal(await storedSecret(ws, name, 'cli-secret'), secret);
    assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0);
    assertNoSecretsLeaked(rig, ws);
  });
});
