import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listTable, statusTable, table } from '../../main/cli/status-table.js';
import { localTime, relativeTime, when } from '../../main/cli/time-words.js';
import { harborView } from '../helpers/views.js';

const now = Date.parse('2026-12-06T13:00:00Z');
const hour = 3_600_000;
const day = 24 * hour;
const iso = (ms: number) => new Date(ms).toISOString();

test('relative times in whole units, rounded down: minutes under two hours, hours under two days, then days', () => {
  assert.equal(relativeTime(now + 29 * day + 23 * hour, now), 'in 29 days');
  assert.equal(relativeTime(now - 3 * hour - 59 * 60_000, now), '3 hours ago');
  assert.equal(relativeTime(now + 47 * hour, now), 'in 47 hours');
  assert.equal(relativeTime(now + 2 * day, now), 'in 2 days');
  assert.equal(relativeTime(now + 90 * 60_000, now), 'in 90 minutes');
  assert.equal(relativeTime(now - 60_000, now), '1 minute ago');
  assert.equal(relativeTime(now + 59_000, now), 'now');
  assert.equal(relativeTime(now - 1 * day - 1, now), '24 hours ago');
});

test('local times in the given zone, as YYYY-MM-DD HH:MM, with summer time where the zone has it', () => {
  assert.equal(localTime(now, 'Europe/Berlin'), '2026-12-06 14:00');
  assert.equal(localTime(Date.parse('2026-07-01T00:30:00Z'), 'Europe/Berlin'), '2026-07-01 02:30');
  assert.equal(localTime(now, 'America/New_York'), '2026-12-06 08:00');
  assert.equal(localTime(now, 'UTC'), '2026-12-06 13:00');
  assert.equal(when(iso(now + 3 * hour), now, 'Asia/Kolkata'), '2026-12-06 21:30 (in 3 hours)');
});

test('berth status: a header, aligned columns, the method and target, the nearest expiry and the next pass; details below', () => {
  const views = [
    harborView('work', 'valid', {
      registry: 'harbor.example.org',
      idleDeadline: iso(now + 29 * day + 20 * hour),
      lastKeptAliveAt: iso(now - 3 * hour - 10 * 60_000),
      nextKeepAliveAt: iso(now + 20 * hour),
    }),
    harborView('lab', 'expiring', {
      registry: 'harbor.lab.example:8443',
      method: 'oidc',
      target: 'helper',
      username: 'bob',
      idleDeadline: iso(now + 30 * day),
      nextKeepAliveAt: iso(now + 2 * hour),
      sessionExpiresAt: iso(now + 10 * hour),
      sessionFixed: true,
      notice: 'The identity provider gave Berth a session bound to your browser’s sign-in.',
    }),
    harborView('old', 'needs-web-login', { lastError: 'Harbor rejects the CLI secret.', actionUrl: 'https://old.example.org/c/oidc/login' }),
    harborView('new', 'signed-out'),
  ];
  const shown = statusTable(views, { now, timeZone: 'Europe/Berlin' });
  assert.equal(
    shown,
    [
      'NAME  REGISTRY                 USER   METHOD      TARGET  STATE            EXPIRES / NEXT',
      'work  harbor.example.org       alice  web login   config  valid            29 days / 20 hours',
      'lab   harbor.lab.example:8443  bob    own client  helper  expiring         10 hours / 2 hours',
      'old   old.example.org          alice  web login   config  needs-web-login  - / -',
      'new   new.example.org          -      web login   config  signed-out       -',
      '',
      'work:',
      "  Harbor's session idles out 2027-01-05 10:00 (in 29 days); last kept alive 2026-12-06 10:50 (3 hours ago); next pass 2026-12-07 10:00 (in 20 hours)",
      'lab:',
      "  Harbor's session idles out 2027-01-05 14:00 (in 30 days); next pass 2026-12-06 16:00 (in 2 hours)",
      "  Berth's own session ends on 2026-12-07 00:00 (in 10 hours), keep-alive cannot extend it",
      '  note: The identity provider gave Berth a session bound to your browser’s sign-in.',
      'old:',
      '  problem: Harbor rejects the CLI secret.',
      '  fix: https://old.example.org/c/oidc/login',
    ].join('\n'),
  );
});

test('a table wider than the terminal cuts the registry and user columns with "…", never the names, the state or the header', () => {
  const views = [harborView('work', 'valid', { registry: 'a-very-long-registry-host-name.internal.example.org', username: 'someone.with.a.long.name@example.org' })];
  const lines = statusTable(views, { now, width: 72, timeZone: 'UTC' }).split('\n');
  for (const line of lines) assert.ok(line.length <= 72, `fits in 72 columns: "${line}" (${line.length})`);
  assert.match(lines[0] as string, /^NAME {2}REGISTRY +USER +METHOD {5}TARGET {2}STATE {2}EXPIRES \/ NEXT$/);
  assert.match(lines[1] as string, /^work {2}a-very-\S*… +someone\S*… +web login {2}config {2}valid {2}- \/ -$/);
  assert.equal((lines[0] as string).indexOf('STATE'), (lines[1] as string).indexOf('valid'), 'columns stay aligned');
  assert.equal(table(['A', 'B'], [['x', 'y']], 2).length, 2, 'a terminal too narrow for anything still gets every row');
});

test('berth list is the short form: name, registry, how it signs in, state', () => {
  assert.equal(
    listTable([harborView('work', 'valid', { registry: 'harbor.example.org' }), harborView('lab', 'signed-out')]),
    ['NAME  REGISTRY            METHOD     STATE', 'work  harbor.example.org  web login  valid', 'lab   lab.example.org     web login  signed-out'].join('\n'),
  );
});
