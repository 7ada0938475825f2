import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createNodeApi } from '../../main/api/node.js';
import { runCli, type CliIo } from '../../main/cli/berth.js';
import { openStores } from '../../main/settings/node-stores.js';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { assertNoSecretsLeaked, signedIn, storedStatus, waitFor, withHarbors, workspace, type Workspace } from '../helpers/berth.js';

const hour = 3_600_000;

/** Moves the registry's keep-alive schedule back, as if its next pass had been due `ms` ago. */
function overdue(ws: Workspace, name: string, ms: number): void {
  const { status } = openStores(ws.berthHome);
  const record = status.get(name);
  status.put(name, { ...record, lastKeptAliveAt: new Date(Date.now() - 24 * hour - ms).toISOString(), nextKeepAliveAt: new Date(Date.now() - ms).toISOString() });
}

describe('berth keepalive on a server: start lines, heartbeat, --once for cron and systemd timers', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  const rig = useRig({}, 'alice');

  test('--once runs the overdue pass and exits 0; with nothing due it runs none and still exits 0', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    overdue(ws, name, hour);
    const before = Date.parse(storedStatus(ws, name).lastKeptAliveAt as string);
    const once = await ws.berth('keepalive', '--once');
    assert.equal(once.code, 0, once.stdout + once.stderr);
    assert.match(once.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  ${name}  valid  \\d+ ms  next \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(in 2[1-6] hours\\)\\n$`));
    assert.match(once.stderr, new RegExp(`^${name}  valid  next pass \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(in \\d+ hours\\)  idle deadline \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(in 29 days\\)$`, 'm'));
    assert.ok(Date.parse(storedStatus(ws, name).lastKeptAliveAt as string) > before, 'the pass kept Harbor’s session alive');

    const tokenRequests = rig().harbor.requestLog.filter((line) => line.includes('/service/token')).length;
    const idle = await ws.berth('keepalive', '--once');
    assert.equal(idle.code, 0, idle.stderr);
    assert.equal(idle.stdout, '', 'no pass line');
    assert.match(idle.stderr, /Nothing was due\./);
    assert.equal(rig().harbor.requestLog.filter((line) => line.includes('/service/token')).length, tokenRequests, 'nothing was sent to Harbor');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('--once with the identity provider unreachable: the offline line with its reason, and exit 1', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    overdue(ws, name, hour);
    await rig().idp.pause();
    try {
      const once = await ws.berth('keepalive', '--once');
      assert.equal(once.code, 1, once.stdout + once.stderr);
      assert.match(once.stdout, new RegExp(`  ${name}  offline  \\d+ ms  next .*  Cannot reach 127\\.0\\.0\\.1:\\d+ \\(ECONNREFUSED\\)`));
      assert.equal(storedStatus(ws, name).state, 'offline');
    } finally {
      await rig().idp.resume();
    }
    overdue(ws, name, 1000);
    const back = await ws.berth('keepalive', '--once');
    assert.equal(back.code, 0, back.stdout + back.stderr);
    assert.match(back.stdout, new RegExp(`  ${name}  valid  `), 'the provider answers again: valid');
  });

  test('with no registry signed in it says so and exits 0 at once, naming each registry it will not keep alive', async () => {
    const empty = await workspace().berth('keepalive');
    assert.equal(empty.code, 0);
    assert.match(empty.stderr, /No registry is signed in, so there is nothing to keep alive: sign in with `berth login <name>`, then start berth keepalive again\./);
    const ws = workspace();
    withHarbors(ws, 'work');
    const signedOut = await ws.berth('keepalive');
    assert.equal(signedOut.code, 0);
    assert.match(signedOut.stderr, /^work {2}signed-out {2}not kept alive until you sign in \(`berth login work`\)$/m);
  });

  test('running: a line per registry at start, then a heartbeat when nothing was said for an interval (injected here), and Ctrl-C stops it', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    let stdout = '';
    let stderr = '';
    let interrupt!: () => void;
    const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
    const io: CliIo = {
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      env: ws.env,
      createApi: (env) => createNodeApi(env),
      readStdin: () => Promise.resolve(''),
      untilInterrupted: () => interrupted,
      heartbeatMs: 300,
    };
    const running = runCli(['keepalive'], io);
    await waitFor('two heartbeats', () => (stderr.match(/still keeping/g) ?? []).length >= 2, 30_000);
    interrupt();
    assert.equal(await running, 0);
    assert.match(stderr, new RegExp(`^${name}  valid  next pass \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(in 2[1-6] hours\\)  idle deadline .*\\(in 29 days\\)$`, 'm'));
    assert.match(stderr, /Keeping 1 registry alive; Ctrl-C stops\./);
    assert.match(stderr, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  still keeping 1 registry alive; next pass: ${name} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(in 2[1-6] hours\\)$`, 'm'));
    assert.equal(stdout, '', 'no pass was due, so no pass line');
  });
});
