import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RegistryView } from '../../../main/api/contract.js';
import { fileNoticeMemory, NotificationPolicy, type NoticeMemory } from '../../../main/app/notifications.js';
import type { RegistryState } from '../../../main/settings/model.js';
import { harborView } from '../../helpers/views.js';

const hour = 60 * 60 * 1000;

function view(state: RegistryState, name = 'harbor'): RegistryView {
  return harborView(name, state);
}

function memory(): NoticeMemory {
  const times = new Map<string, number>();
  return { lastShown: (key) => times.get(key), remember: (key, at) => void times.set(key, at) };
}

test('expiring, needs sign-in, needs web login and recovery notify; other changes do not', () => {
  let clock = 0;
  const policy = new NotificationPolicy(memory(), () => clock);
  const kinds = (state: RegistryState) => policy.update([view(state)]).map((notice) => notice.kind);
  assert.deepEqual(kinds('valid'), [], 'valid at start-up is no news');
  assert.deepEqual(kinds('offline'), []);
  assert.deepEqual(kinds('valid'), [], 'back from offline is not a recovery worth a notice');
  assert.deepEqual(kinds('expiring'), ['expiring']);
  assert.deepEqual(kinds('expiring'), [], 'no change, no notice');
  assert.deepEqual(kinds('needs-web-login'), ['needs-web-login']);
  assert.deepEqual(kinds('needs-sign-in'), ['needs-sign-in']);
  assert.deepEqual(kinds('valid'), ['recovered']);
  assert.deepEqual(kinds('error'), []);
  clock += 25 * hour;
  assert.deepEqual(kinds('valid'), ['recovered']);
  assert.deepEqual(kinds('signed-out'), []);
});

test('a notice says what happened to which registry, and what the click does', () => {
  const policy = new NotificationPolicy(memory(), () => 0);
  const [notice] = policy.update([view('needs-web-login')]);
  assert.deepEqual(notice, {
    kind: 'needs-web-login',
    registry: 'harbor',
    title: "harbor.example.org: log in to Harbor's web UI",
    body: "Harbor's own session has expired, so the CLI secret no longer works. Click, then log in on the web page.",
  });
  const regenerated = policy.secretRegenerated(view('valid'));
  assert.match(regenerated?.body ?? '', /Other machines with the old secret need a new docker login/);
  const restored = policy.targetsRestored(view('valid'));
  assert.equal(restored?.title, 'harbor.example.org: docker credential put back');
  assert.match(restored?.body ?? '', /removed or replaced the credential Berth keeps for harbor \(a docker logout\?\), so Berth wrote it back\. To log out for good, sign out in Berth\./);
  assert.equal(policy.targetsRestored(view('valid')), null, 'once a day');
});

test('the same condition of a registry notifies at most once a day, even across restarts', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'berth-notices-')), 'notices.json');
  let clock = Date.parse('2026-11-22T08:00:00Z');
  const first = new NotificationPolicy(fileNoticeMemory(file), () => clock);
  assert.equal(first.update([view('needs-sign-in'), view('valid', 'other')]).length, 1);
  clock += hour;
  first.update([view('valid')]);
  clock += hour;
  assert.deepEqual(first.update([view('needs-sign-in')]), [], 'flapping back within the day stays quiet');
  assert.deepEqual(first.update([view('needs-sign-in'), view('needs-sign-in', 'other')]).map((notice) => notice.registry), ['other'], 'another registry is its own condition');

  // The app restarts: the memory file still knows.
  const restarted = new NotificationPolicy(fileNoticeMemory(file), () => clock);
  assert.deepEqual(restarted.update([view('needs-sign-in')]), []);
  clock += 23 * hour;
  const later = new NotificationPolicy(fileNoticeMemory(file), () => clock);
  assert.deepEqual(later.update([view('needs-sign-in')]).map((notice) => notice.kind), ['needs-sign-in']);
  assert.notEqual(later.secretRegenerated(view('valid')), null);
  assert.equal(later.secretRegenerated(view('valid')), null);
});

test('a rejected token or key notifies with where to get a new one; a token nearing its end says when, with the date', () => {
  const at = Date.parse('2026-11-22T12:00:00Z');
  const policy = new NotificationPolicy(memory(), () => at);
  const pointer = { where: "In Harness: the registry's \"Set up client\" makes a new token.", url: 'https://app.harness.io/' };
  const token = (state: RegistryState, extra: Partial<RegistryView> = {}) => harborView('pat', state, { kind: 'token', method: 'token', registry: 'pkg.harness.io', pointer, ...extra });
  policy.update([token('valid')]);
  const [rejected] = policy.update([token('rejected')]);
  assert.deepEqual(rejected, {
    kind: 'rejected',
    registry: 'pat',
    title: 'pkg.harness.io: token rejected',
    body: 'The registry no longer accepts this token: it expired or was revoked, and docker pulls fail. In Harness: the registry\'s "Set up client" makes a new token.',
  });
  assert.deepEqual(policy.update([token('valid')]).map((notice) => notice.kind), ['recovered'], 'a replaced token is news');
  const [expiring] = policy.update([token('expiring', { expiresAt: new Date(at + 2 * 86_400_000 + 60_000).toISOString(), expirySource: 'given' })]);
  assert.equal(expiring?.title, 'pkg.harness.io: token expires in 2 days (Nov 24, 2026)');
  assert.match(expiring?.body ?? '', /^Berth cannot renew it: get a new one before then\. In Harness/);
  const key = harborView('sa', 'rejected', { kind: 'stackit', method: 'stackit', registry: 'registry.onstackit.cloud', pointer: { where: 'In the STACKIT portal.' } });
  assert.equal(new NotificationPolicy(memory(), () => at).update([key])[0]?.title, 'registry.onstackit.cloud: service-account key rejected');
});

test('sign in again: docker pulls fail only when Harbor no longer takes the CLI secret; when only Berth’s own session ended, the notice says pulls still work', () => {
  const dead = new NotificationPolicy(memory(), () => 0).update([view('needs-sign-in')])[0];
  assert.equal(dead?.title, 'harbor.example.org: sign in again');
  assert.equal(dead?.body, 'docker pulls will fail until you do. Click to sign in.');
  const rejected = new NotificationPolicy(memory(), () => 0).update([harborView('harbor', 'needs-sign-in', { secretAccepted: false })])[0];
  assert.equal(rejected?.body, dead?.body);

  // Berth's own session ended, and the same pass found Harbor still accepting the CLI secret.
  const [own] = new NotificationPolicy(memory(), () => 0).update([harborView('harbor', 'needs-sign-in', { method: 'oidc', secretAccepted: true })]);
  assert.equal(own?.kind, 'needs-sign-in');
  assert.equal(own?.body, "Berth's own session has ended, but docker pulls still work and Berth keeps Harbor's session alive. Sign in so Berth can renew or replace the CLI secret. Click to sign in.");
  assert.doesNotMatch(own?.body ?? '', /will fail/);
});

test('expiring: a fixed end of Berth’s session is said with its date and as beyond keep-alive, not as a renewal that failed', () => {
  const now = Date.parse('2026-11-22T08:00:00Z');
  const end = now + 2 * 24 * hour;
  const idleDeadline = new Date(now + 29 * 24 * hour).toISOString();
  const fixed = harborView('harbor', 'expiring', { method: 'oidc', idleDeadline, sessionExpiresAt: new Date(end).toISOString(), sessionFixed: true });
  const [notice] = new NotificationPolicy(memory(), () => now).update([fixed]);
  assert.equal(notice?.title, 'harbor.example.org: login expires in 2 days');
  const date = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(end);
  assert.equal(notice?.body, `Berth's own session ends on ${date}, and keep-alive cannot extend it: sign in again then. Click to see the registry.`);
  assert.doesNotMatch(notice?.body ?? '', /could not renew/);

  // An end that keep-alive moves on (an idle window), or Harbor's idle deadline coming first, is a renewal that has not happened yet.
  for (const expiring of [
    harborView('harbor', 'expiring', { idleDeadline, sessionExpiresAt: new Date(end).toISOString(), sessionFixed: false }),
    harborView('harbor', 'expiring', { idleDeadline: new Date(now + 24 * hour).toISOString(), sessionExpiresAt: new Date(end).toISOString(), sessionFixed: true }),
  ]) {
    const [plain] = new NotificationPolicy(memory(), () => now).update([expiring]);
    assert.equal(plain?.body, 'Berth could not renew it yet. Click to see what it needs.');
  }
});
