import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { localTime } from '../../main/cli/time-words.js';
import { unless } from '../rig/components.js';
import { berthBin, withHarbors, workspace, type Workspace } from '../helpers/berth.js';
import { onTerminal } from '../helpers/terminal.js';
import { TestCa } from '../helpers/tls-certs.js';

const hour = 3_600_000;
const day = 24 * hour;

/** status.json as Berth would have written it, for registries of `withHarbors`. */
function writeStatus(ws: Workspace, records: Record<string, Record<string, unknown>>): void {
  mkdirSync(ws.berthHome, { recursive: true });
  writeFileSync(join(ws.berthHome, 'status.json'), JSON.stringify({ registries: records }));
}

function settings(ws: Workspace): { registries: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(join(ws.berthHome, 'settings.json'), 'utf8')) as { registries: Record<string, unknown>[] };
}

describe('the CLI on a terminal and in scripts', () => {
  test('berth status on an 80-column terminal: a header, aligned columns cut to fit, local and relative times, details under the table', { skip: unless('tmux') }, async () => {
    const ws = workspace();
    withHarbors(ws, 'work', 'lab', 'new');
    const configured = settings(ws);
    (configured.registries[1] as { url: string }).url = 'https://harbor.laboratory-of-long-host-names.example.org';
    writeFileSync(join(ws.berthHome, 'settings.json'), JSON.stringify(configured));
    const now = Date.now();
    const signed = { signedInAt: new Date(now - day).toISOString(), lastKeptAliveAt: new Date(now - 3 * hour - 60_000).toISOString() };
    writeStatus(ws, {
      work: { state: 'valid', username: 'alice', ...signed, idleDeadline: new Date(now + 29 * day + 12 * hour).toISOString(), nextKeepAliveAt: new Date(now + 20 * hour + 30 * 60_000).toISOString() },
      lab: {
        state: 'needs-web-login',
        username: 'someone-with-a-rather-long-user-name',
        ...signed,
        lastError: 'Harbor rejects the CLI secret of someone-with-a-rather-long-user-name: log in at the URL below.',
        actionUrl: 'https://harbor.laboratory-of-long-host-names.example.org/c/oidc/login',
      },
    });
    const terminal = await onTerminal([process.execPath, berthBin, 'status'], { ...ws.env, TZ: 'Europe/Berlin' }, { columns: 80 });
    try {
      const screen = await terminal.waitFor(/\[exit 0\]/);
      const lines = screen.split('\n');
      const header = lines.findIndex((line) => line.startsWith('NAME '));
      assert.ok(header >= 0, screen);
      const rows = lines.slice(header, header + 4);
      assert.match(rows[0] as string, /^NAME +REGISTRY +USER +METHOD +TARGET +STATE +EXPIRES \/ NEXT$/);
      for (const row of rows) assert.ok(row.length <= 80, `fits the terminal: "${row}" (${row.length})`);
      for (const column of ['STATE', 'METHOD', 'TARGET']) {
        const at = (rows[0] as string).indexOf(column);
        for (const row of rows.slice(1)) assert.match(row.slice(at), /^\S/, `${column} starts at column ${at} in "${row}"`);
      }
      assert.match(rows[1] as string, /^work +work\.\S+ +alice +own client +config +valid +29 days \/ 20 hours$/);
      assert.match(rows[2] as string, /^lab +harbor\.\S*… +someon\S*… +own client +config +needs-web-login +- \/ -$/, 'the registry and user are cut to fit');
      assert.match(rows[3] as string, /^new +new\.\S+ +- +own client +config +signed-out +-$/);
      const keptAt = localTime(Date.parse(signed.lastKeptAliveAt), 'Europe/Berlin');
      assert.ok(screen.includes(`last kept alive ${keptAt} (3 hours ago)`), `local time in TZ=Europe/Berlin: ${keptAt}\n${screen}`);
      assert.match(screen, /^lab:\n(?: {2}.*\n)* {2}problem: Harbor rejects the CLI secret .*\n {2}fix: https:\/\/harbor\.laboratory-of-long-host-names\.example\.org\/c\/oidc\/login$/m);
    } finally {
      await terminal.stop();
    }
  });

  test('berth list is the short form; --json of status, list and refresh is an array, [] when nothing is signed in', async () => {
    const ws = workspace();
    withHarbors(ws, 'work');
    const list = await ws.berth('list');
    assert.equal(list.stdout, 'NAME  REGISTRY          METHOD      STATE\nwork  work.example.org  own client  signed-out\n');
    const refresh = await ws.berth('refresh', '--json');
    assert.equal(refresh.code, 0, refresh.stderr);
    assert.deepEqual(JSON.parse(refresh.stdout), []);
    assert.match(refresh.stderr, /No signed-in registries to refresh/);
    for (const command of ['status', 'list']) {
      const json = JSON.parse((await ws.berth(command, '--json')).stdout) as { name: string }[];
      assert.ok(Array.isArray(json) && json[0]?.name === 'work', command);
    }
    assert.deepEqual(JSON.parse((await workspace().berth('status', '--json')).stdout), []);
  });

  test('a name that is not lower case is refused with the lower-case one to use', async () => {
    const ws = workspace();
    const add = await ws.berth('add', 'harbor', 'Work', '--url', 'harbor.example.org');
    assert.equal(add.code, 64, add.stderr);
    assert.match(add.stderr, /"Work" is not a valid registry name: use lower-case letters, digits, "\.", "_" and "-" \(up to 63\), e\.g\. "work"\./);
    assert.match((await ws.berth('add', 'harbor', 'My Harbor!', '--url', 'harbor.example.org')).stderr, /e\.g\. "my-harbor-"/);
  });

  test('berth set changes a registry in place, says when each change takes effect, and refuses what does not fit its method', async () => {
    const ws = workspace();
    withHarbors(ws, 'lab');
    const web = workspace();
    mkdirSync(web.berthHome, { recursive: true });
    writeFileSync(join(web.berthHome, 'settings.json'), JSON.stringify({ registries: [{ name: 'work', kind: 'harbor', method: 'web', url: 'https://work.example.org', idleDays: 30 }] }));
    writeStatus(web, { work: { state: 'valid', username: 'alice', signedInAt: new Date(Date.now() - hour).toISOString(), lastKeptAliveAt: new Date(Date.now() - hour).toISOString() } });

    const timing = await web.berth('set', 'work', '--keep-alive-hours', '12', '--warn-days', '7', '--json');
    assert.equal(timing.code, 0, timing.stderr);
    assert.match(timing.stderr, /^work is kept alive every 12 hours from now on, counted from its last pass\.\nwork shows as expiring 7 days before an expiry, from now on\.\nNext keep-alive pass: \d{4}-\d\d-\d\d \d\d:\d\d \(in 10 hours\)\.\n$/);
    const changed = JSON.parse(timing.stdout) as { name: string; nextKeepAliveAt: string; changes: string[] };
    assert.equal(changed.changes.length, 2);
    assert.ok(Math.abs(Date.parse(changed.nextKeepAliveAt) - (Date.now() + 11 * hour)) < 60_000, changed.nextKeepAliveAt);
    assert.deepEqual([settings(web).registries[0]?.keepAliveHours, settings(web).registries[0]?.warnDays], [12, 7]);

    const user = await web.berth('set', 'work', '--username', 'bob');
    assert.equal(user.code, 0, user.stderr);
    assert.match(user.stderr, /work signs in as bob at the next sign-in \(`berth login work`\); until then it stays signed in as alice\./);
    assert.equal(settings(web).registries[0]?.username, 'bob');

    const scope = await web.berth('set', 'work', '--scope', 'openid');
    assert.equal(scope.code, 64);
    assert.match(scope.stderr, /--scope is for registries that sign in with Berth's own client; work signs in through Harbor's web login/);
    const name = await ws.berth('set', 'lab', '--username', 'bob');
    assert.equal(name.code, 64);
    assert.match(name.stderr, /lab signs in with Berth's own client, where the identity provider says who you are: it takes no --username/);
    const scopes = await ws.berth('set', 'lab', '--scope', 'openid  offline_access');
    assert.equal(scopes.code, 0, scopes.stderr);
    assert.match(scopes.stderr, /Berth's own client asks for "openid offline_access" at the next sign-in \(`berth login lab`\)\./);
    assert.equal(settings(ws).registries[0]?.scopes, 'openid offline_access');
    assert.match((await ws.berth('set', 'lab', '--scope', 'profile')).stderr, /must include "openid"/);
    assert.match((await ws.berth('set', 'lab')).stderr, /Nothing to change for lab: give --ca-file, --keep-alive-hours, --warn-days, --scope, --username, --expires or --note/);
    assert.match((await ws.berth('set', 'lab', '--ca-file', join(ws.home, 'missing.pem'))).stderr, /The CA file .*missing\.pem for lab does not exist/);
    writeFileSync(join(ws.home, 'not-a-cert.pem'), 'hello');
    assert.match((await ws.berth('set', 'lab', '--ca-file', join(ws.home, 'not-a-cert.pem'))).stderr, /The CA file .*not-a-cert\.pem for lab holds no PEM certificate/);
    assert.match((await ws.berth('set', 'nope', '--warn-days', '1')).stderr, /No registry named "nope"/);
    assert.equal(settings(ws).registries[0]?.caFile, undefined, 'a refused change changed nothing');
  });

  test('the TLS hint names `berth set <name> --ca-file`, and following it fixes the registry (doctor agrees)', { skip: unless('openssl') }, async () => {
    const ca = new TestCa();
    const leaf = ca.issue('IP:127.0.0.1');
    const server = createServer({ key: leaf.keyPem, cert: leaf.certPem }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"auth_mode":"oidc_auth"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const ws = workspace();
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      mkdirSync(ws.berthHome, { recursive: true });
      writeFileSync(join(ws.berthHome, 'settings.json'), JSON.stringify({ registries: [{ name: 'work', kind: 'harbor', method: 'web', url, idleDays: 30 }] }));
      const before = await ws.berth('doctor');
      assert.match(before.stdout, /PROBLEM {2}network: work: the Harbor at 127\.0\.0\.1:\d+ failed the TLS check \(\w+\)\.\n {9}fix: Its certificate is issued by a CA this machine does not trust .*`berth set work --ca-file <ca\.pem>`/);
      const set = await ws.berth('set', 'work', '--ca-file', ca.ca.cert);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stderr, new RegExp(`Berth trusts ${ca.ca.cert.replace(/[.]/g, '\\.')} for 127\\.0\\.0\\.1:\\d+ and its identity provider from the next request\\.`));
      const after = await ws.berth('doctor');
      assert.match(after.stdout, /ok {7}network: work: the Harbor at 127\.0\.0\.1:\d+ answers \(HTTP 200\)\./);
      const cleared = await ws.berth('set', 'work', '--ca-file', '');
      assert.match(cleared.stderr, /Berth trusts only this machine's CAs for 127\.0\.0\.1:\d+ and its identity provider again/);
      assert.equal(settings(ws).registries[0]?.caFile, undefined);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});
