import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createNodeApi } from '../../main/api/node.js';
import { NotificationPolicy } from '../../main/app/notifications.js';
import type { Clock } from '../../main/keepalive/clock.js';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { assertNoSecretsLeaked, berthBin, dockerInspect, skopeoInspect, storedSecret, storedStatus, uniqueName, waitFor, workspace, type Workspace } from '../helpers/berth.js';
import { literally } from '../helpers/pattern.js';
import { onTerminal } from '../helpers/terminal.js';

const day = 86_400_000;

interface Shown {
  name: string;
  kind: string;
  method: string;
  state: string;
  username: string;
  expiresAt: string | null;
  expirySource: string | null;
  lastError: string | null;
  actionUrl: string | null;
  note: string | null;
  pointer: { where: string; url?: string } | null;
}

function shown(ws: Workspace, name: string): Promise<Shown> {
  return ws.berth('status', name, '--json').then((result) => (JSON.parse(result.stdout) as Shown[])[0] as Shown);
}

function noMemory() {
  const times = new Map<string, number>();
  return { lastShown: (key: string) => times.get(key), remember: (key: string, at: number) => void times.set(key, at) };
}

/** The scheduler's clock a day and a bit ahead: the daily check is due at once, and nothing else is faked. */
const dayLater: Clock = {
  now: () => Date.now() + 1.2 * day,
  setTimer: (callback, delayMs) => setTimeout(callback, Math.min(delayMs, 500)),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

describe('token registries: robot accounts and other tokens, checked before they are stored, checked daily, replaced', { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring') }, () => {
  const rig = useRig({ stackit: true });

  test('a good robot secret: docker and skopeo read the image, and the end comes from Harbor; a wrong one stores nothing and says why', async () => {
    const ws = workspace();
    const robot = rig().harbor.robots.create('demo', uniqueName('ci'), { durationDays: 30, access: [{ resource: 'project', action: 'read' }, { resource: 'robot', action: 'list' }] });
    const name = uniqueName('robot');

    const wrong = await ws.berthWithInput('not-the-secret', 'add', 'token', name, '--url', rig().harbor.url, '--username', robot.name, '--secret-stdin');
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, new RegExp(`rejected the token for "${literally(robot.name)}"; nothing was stored\\. Check the user name and the token\\. In Harbor: the project → Robot Accounts`));
    assert.deepEqual(JSON.parse((await ws.berth('list', '--json')).stdout), [], 'no registry in the settings');
    assert.equal(await storedSecret(ws, name, 'token'), null, 'nothing in the keychain');
    assert.equal(existsSync(join(ws.dockerConfig, 'config.json')), false, "docker's config untouched");

    const added = await ws.berthWithInput(robot.secret, 'add', 'token', name, '--url', rig().harbor.url, '--username', robot.name, '--secret-stdin', '--json');
    assert.equal(added.code, 0, added.stderr);
    const view = JSON.parse(added.stdout) as Shown;
    assert.deepEqual([view.kind, view.method, view.state, view.username, view.expirySource], ['token', 'token', 'valid', robot.name, 'harbor']);
    assert.equal(view.expiresAt, new Date(robot.record.expiresAt * 1000).toISOString(), "the robot's expires_at, read from Harbor");
    assert.equal(await storedSecret(ws, name, 'token'), robot.secret);
    for (const read of [dockerInspect, skopeoInspect]) {
      const result = await read(ws, rig().imageRef);
      assert.equal(result.code, 0, result.stderr);
    }
    const status = await ws.berth('status', name);
    assert.match(status.stdout, /token expires \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(in 29 days\), as Harbor says/);

    // Removing it forgets the token in the keychain and in docker's config.
    const host = new URL(rig().harbor.url).host;
    const removed = await ws.berth('remove', name);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(await storedSecret(ws, name, 'token'), null);
    assert.equal((JSON.parse(readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8')) as { auths?: Record<string, unknown> }).auths?.[host], undefined);
    assert.notEqual((await dockerInspect(ws, rig().imageRef)).code, 0);
    assert.deepEqual(JSON.parse((await ws.berth('list', '--json')).stdout), []);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a robot that never expires (expires_at -1 at Harbor) is valid with no end, and nobody is asked for one', async () => {
    const ws = workspace();
    const robot = rig().harbor.robots.create('demo', uniqueName('forever'), { durationDays: -1, access: [{ resource: 'project', action: 'read' }, { resource: 'robot', action: 'list' }] });
    const name = uniqueName('robot');
    const added = await ws.berthWithInput(robot.secret, 'add', 'token', name, '--url', rig().harbor.url, '--username', robot.name, '--secret-stdin', '--json');
    assert.equal(added.code, 0, added.stderr);
    const view = JSON.parse(added.stdout) as Shown;
    assert.deepEqual([view.state, view.expiresAt, view.expirySource], ['valid', null, 'harbor']);
    assert.doesNotMatch(added.stderr, /--expires|when .* expires/i, 'no advice to give an end');
    assert.match((await ws.berth('status', name)).stdout, /never expires/);
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0);
  });

  test('a token revoked at Harbor is rejected after one scheduled check, with a notice and where to get a new one; berth replace brings it back', async () => {
    const ws = workspace();
    const first = rig().harbor.robots.create('demo', uniqueName('deploy'));
    const name = uniqueName('robot');
    const added = await ws.berthWithInput(first.secret, 'add', 'token', name, '--url', rig().harbor.url, '--username', first.name, '--secret-stdin', '--expires-in', '30d');
    assert.equal(added.code, 0, added.stderr);
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0);

    rig().harbor.robots.delete(first.name);
    const api = createNodeApi(ws.env);
    const policy = new NotificationPolicy(noMemory());
    policy.update(api.listRegistries());
    const requests = rig().harbor.requestLog.length;
    const scheduler = api.keepAliveScheduler({ clock: dayLater });
    scheduler.start();
    try {
      await waitFor('the scheduled check found the token rejected', () => storedStatus(ws, name).state === 'rejected', 30_000);
    } finally {
      await scheduler.stop();
    }
    const checks = rig().harbor.requestLog.slice(requests).filter((line) => line === 'GET /service/token');
    assert.equal(checks.length, 2, 'one token request, asked once more before calling it rejected; no pull');
    assert.ok(!rig().harbor.requestLog.slice(requests).some((line) => line.includes('/manifests/')), 'no pull');
    const rejected = await shown(ws, name);
    assert.match(rejected.lastError ?? '', /no longer accepts the token of robot\$demo\+deploy-\w+: it expired or was revoked\. In Harbor: the project → Robot Accounts → this robot → Refresh Secret/);
    assert.ok(rejected.lastError?.endsWith(`Then \`berth replace ${name}\` (or Replace token… in Berth's window).`), rejected.lastError ?? '');
    assert.equal(rejected.actionUrl, `${rig().harbor.url}/harbor/projects`);
    const [notice] = policy.update(api.listRegistries());
    assert.equal(notice?.kind, 'rejected');
    assert.equal(notice?.title, `${new URL(rig().harbor.url).host}: token rejected`);
    assert.match(notice?.body ?? '', /no longer accepts this token: it expired or was revoked.*Robot Accounts/);

    const second = rig().harbor.robots.create('demo', uniqueName('deploy'));
    const wrong = await ws.berthWithInput('wrong', 'replace', name, '--username', second.name, '--secret-stdin');
    assert.equal(wrong.code, 1);
    assert.equal(storedStatus(ws, name).state, 'rejected', 'a wrong new token changes nothing');
    const replaced = await ws.berthWithInput(second.secret, 'replace', name, '--username', second.name, '--secret-stdin', '--json');
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.deepEqual([(JSON.parse(replaced.stdout) as Shown).state, (JSON.parse(replaced.stdout) as Shown).username], ['valid', second.name]);
    assert.equal(await storedSecret(ws, name, 'token'), second.secret);
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker reads the image with the new token');
    assert.equal(policy.update(api.listRegistries())[0]?.kind, 'recovered');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a token that expires in 2 days is expiring, with the warning; a JWT token says its own end; a robot that may not read itself is asked for', async () => {
    const ws = workspace();
    const robot = rig().harbor.robots.create('demo', uniqueName('short'));
    const name = uniqueName('short');
    // An administrator's profile says where this registry's tokens come from, instead of Berth's table.
    const profile = join(ws.home, 'profile.json');
    writeFileSync(profile, JSON.stringify({ kind: 'token', url: rig().harbor.url, pointer: { where: 'Ask the platform team in #registry for a new robot.', url: 'https://wiki.example.org/registry' } }));
    const added = await ws.berthWithInput(robot.secret, 'add', 'token', name, '--profile', profile, '--username', robot.name, '--secret-stdin');
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual((await shown(ws, name)).pointer, { where: 'Ask the platform team in #registry for a new robot.', url: 'https://wiki.example.org/registry' });
    assert.match(added.stderr, new RegExp(`warning: Berth does not know when this token expires.*berth set ${name} --expires <date>`));
    assert.equal((await shown(ws, name)).expirySource, null, 'the robot may not list robots: its end is unknown');
    const set = await ws.berth('set', name, '--expires-in', '2d', '--json');
    assert.equal(set.code, 0, set.stderr);
    const expiring = JSON.parse(set.stdout) as Shown;
    assert.deepEqual([expiring.state, expiring.expirySource], ['expiring', 'given']);
    const [notice] = new NotificationPolicy(noMemory()).update(createNodeApi(ws.env).listRegistries());
    assert.match(notice?.title ?? '', /: token expires in (1 day|\d+ hours) \(\w{3} \d{1,2}, \d{4}\)$/);
    assert.match(notice?.body ?? '', /Berth cannot renew it: get a new one before then\. Ask the platform team in #registry/);

    // A STACKIT access token living two days, pasted as a token: its JWT exp is the end, with no date given.
    const endpoint = rig().stackit;
    assert.ok(endpoint);
    const account = endpoint.serviceAccount(`${uniqueName('sa')}@sa.stackit.cloud`);
    const linked = rig().harbor.robots.create('demo', uniqueName('linked'));
    rig().harbor.robots.link(linked.name, account, endpoint.verifyAccessToken);
    endpoint.lifetimeSeconds = 2 * 86_400;
    const { mintAccessToken } = await import('../../main/stackit/key-flow.js');
    const { parseServiceAccountKey } = await import('../../main/stackit/key.js');
    const minted = await mintAccessToken(endpoint.tokenUrl, parseServiceAccountKey(endpoint.createKey(account), 'key'), 'test');
    endpoint.lifetimeSeconds = 60;
    const jwtName = uniqueName('jwt');
    const jwt = await ws.berthWithInput(minted.token, 'add', 'token', jwtName, '--url', `http://localhost:${new URL(rig().harbor.url).port}`, '--username', account.email, '--secret-stdin', '--json');
    assert.equal(jwt.code, 0, jwt.stderr);
    const fromJwt = JSON.parse(jwt.stdout) as Shown;
    assert.deepEqual([fromJwt.state, fromJwt.expirySource, fromJwt.expiresAt], ['expiring', 'jwt', minted.expiresAt.toISOString()]);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a token service that fails or a registry that is down is offline, never rejected; the token is untouched', async () => {
    const ws = workspace();
    const robot = rig().harbor.robots.create('demo', uniqueName('flaky'));
    const name = uniqueName('flaky');
    assert.equal((await ws.berthWithInput(robot.secret, 'add', 'token', name, '--url', rig().harbor.url, '--username', robot.name, '--secret-stdin')).code, 0);
    const config = readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8');
    try {
      for (const status of [500, 503]) {
        rig().harbor.tokenServiceStatus = status;
        const refresh = await ws.berth('refresh', name, '--json');
        const view = (JSON.parse(refresh.stdout) as Shown[])[0];
        assert.equal(view?.state, 'offline', `HTTP ${status}: ${refresh.stdout}`);
        assert.match(view?.lastError ?? '', new RegExp(`Cannot reach 127\\.0\\.0\\.1:\\d+ \\(HTTP ${status}\\)`));
      }
    } finally {
      rig().harbor.tokenServiceStatus = undefined;
    }
    await rig().harbor.pause();
    try {
      const view = (JSON.parse((await ws.berth('refresh', name, '--json')).stdout) as Shown[])[0];
      assert.equal(view?.state, 'offline');
    } finally {
      await rig().harbor.resume();
    }
    assert.equal(await storedSecret(ws, name, 'token'), robot.secret);
    assert.equal(readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8'), config, "docker's config untouched");
    assert.equal((JSON.parse((await ws.berth('refresh', name, '--json')).stdout) as Shown[])[0]?.state, 'valid', 'valid again once it answers');
  });

  test('on a terminal: the token is asked for unseen, and an end Berth cannot learn is asked for too', { skip: unless('tmux') }, async () => {
    const ws = workspace();
    const robot = rig().harbor.robots.create('demo', uniqueName('typed'));
    const name = uniqueName('typed');
    const terminal = await onTerminal([process.execPath, berthBin, 'add', 'token', name, '--url', rig().harbor.url, '--username', robot.name], ws.env);
    try {
      await terminal.waitFor(/Token \(not shown\): $/m);
      await terminal.typeLine(robot.secret);
      const asked = await terminal.waitFor(/When does the token expire\? \(e\.g\. (\d{4}-\d\d-\d\d), or Enter if you do not know\): $/m);
      const example = /e\.g\. (\d{4}-\d\d-\d\d)/.exec(asked)?.[1] ?? '';
      assert.ok(Date.parse(`${example}T23:59:59`) > Date.now(), `the example ${example} is a date to come`);
      await terminal.typeLine('2031-03-31');
      const screen = await terminal.waitFor(/\[exit \d+\]/);
      assert.match(screen, /\[exit 0\]/);
      assert.match(screen, /Checked: 127\.0\.0\.1:\d+ accepts the token of robot\$demo\+typed-\w+/);
      assert.ok(!screen.includes(robot.secret), 'the token was not echoed');
      ws.outputs.push(screen);
    } finally {
      await terminal.stop();
    }
    const view = await shown(ws, name);
    assert.deepEqual([view.state, view.expirySource, Date.parse(view.expiresAt ?? '')], ['valid', 'given', new Date('2031-03-31T23:59:59').getTime()], 'the end of that day where the person is');
  });

  test('a wrong token for the window: nothing in the keychain, the settings or docker\'s config', async () => {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const name = uniqueName('window');
    await assert.rejects(
      api.addRegistry({ kind: 'token', name, url: rig().harbor.url, username: 'robot$demo+nobody', secret: 'nope-nope' }),
      /rejected the token for "robot\$demo\+nobody"; nothing was stored/,
    );
    assert.deepEqual(api.listRegistries(), []);
    assert.equal(await storedSecret(ws, name, 'token'), null);
    assert.equal(existsSync(join(ws.dockerConfig, 'config.json')) ? readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8') : '', '');
  });
});
