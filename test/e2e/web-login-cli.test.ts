import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, berthBin, dockerConfigJson, dockerInspect, skopeoInspect, storedSecret, storedStatus, type Workspace, uniqueName, workspace } from '../helpers/berth.js';
import { onTerminal } from '../helpers/terminal.js';

function dockerEntry(ws: Workspace, host: string): unknown {
  const path = join(ws.dockerConfig, 'config.json');
  return existsSync(path) ? (dockerConfigJson(ws).auths as Record<string, unknown> | undefined)?.[host] : undefined;
}

async function added(ws: Workspace, rig: Rig, name: string): Promise<void> {
  const result = await ws.berth('add', 'harbor', name, '--url', rig.harbor.url);
  assert.equal(result.code, 0, result.stderr);
}

describe("berth with Harbor's web login: add by URL alone, sign in with the CLI secret from the User Profile", { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring', 'tmux') }, () => {
  let rig: Rig;
  // Harbor asks its identity provider for no offline session (its admin left offline_access out of the OIDC scope).
  let online: Rig;
  before(async () => {
    [rig, online] = await Promise.all([startRig({ berthClient: false }), startRig({ berthClient: false, harborScope: 'openid profile email' })]);
    await Promise.all(['wes', 'tia', 'uma'].map((user) => rig.webLogin(user)));
  });
  after(() => Promise.all([rig?.stop(), online?.stop()]));

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
});
