import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Clock } from '../../main/keepalive/clock.js';
import { KeepAliveScheduler, type KeepAliveTarget, type SchedulerDependencies } from '../../main/keepalive/scheduler.js';
import type { RegistryState } from '../../main/settings/model.js';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/** A clock that moves only when the test says so; it also counts the timers that are armed at once. */
class FakeClock implements Clock {
  time = Date.parse('2026-11-22T08:00:00Z');
  private nextId = 0;
  readonly timers = new Map<number, { at: number; callback: () => void }>();
  maxArmed = 0;

  now(): number {
    return this.time;
  }
  setTimer(callback: () => void, delayMs: number): unknown {
    const id = ++this.nextId;
    this.timers.set(id, { at: this.time + delayMs, callback });
    this.maxArmed = Math.max(this.maxArmed, this.timers.size);
    return id;
  }
  clearTimer(timer: unknown): void {
    this.timers.delete(timer as number);
  }
}

/** A world of registries whose passes answer what the test scripts. */
function world(targets: KeepAliveTarget[], answer: (name: string, at: number) => RegistryState = () => 'valid', random = () => 0.5) {
  const clock = new FakeClock();
  const passes: { name: string; at: number }[] = [];
  const planned = new Map<string, number>();
  const byName = new Map(targets.map((target) => [target.name, target]));
  const deps: SchedulerDependencies = {
    clock,
    random,
    targets: () => [...byName.values()],
    runPass: async (name) => {
      passes.push({ name, at: clock.time });
      const state = answer(name, clock.time);
      const target = byName.get(name);
      if (target) {
        target.state = state;
        if (state === 'valid') target.lastKeptAliveAt = clock.time;
      }
      return state;
    },
    planned: (name, at) => planned.set(name, at.getTime()),
  };
  const scheduler = new KeepAliveScheduler(deps);
  async function advance(ms: number): Promise<void> {
    const end = clock.time + ms;
    for (;;) {
      const next = [...clock.timers].sort(([, a], [, b]) => a.at - b.at)[0];
      if (!next || next[1].at > end) break;
      clock.timers.delete(next[0]);
      clock.time = Math.max(clock.time, next[1].at);
      next[1].callback();
      await scheduler.idle();
    }
    clock.time = end;
  }
  return { clock, passes, planned, byName, deps, scheduler, advance };
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((time, i) => time - (times[i] as number));
}

test('one timer for the registry due next; every registry is kept alive every interval ±10 %', async () => {
  const w = world(
    [
      { name: 'a', intervalMs: day, state: 'valid', lastKeptAliveAt: Date.parse('2026-11-22T07:00:00Z') },
      { name: 'b', intervalMs: day, state: 'valid', lastKeptAliveAt: Date.parse('2026-11-21T20:00:00Z') },
      { name: 'c', intervalMs: 12 * hour, state: 'valid', lastKeptAliveAt: Date.parse('2026-11-22T02:00:00Z') },
    ],
    () => 'valid',
    Math.random,
  );
  w.scheduler.start();
  assert.equal(w.clock.timers.size, 1);
  assert.equal([...w.clock.timers.values()][0]?.at, Date.parse('2026-11-22T14:00:00Z'), 'the first timer is for c, due 12 h after its last pass');
  await w.advance(30 * day);
  assert.equal(w.clock.maxArmed, 1, 'never more than one timer');
  for (const [name, interval] of [['a', day], ['b', day], ['c', 12 * hour]] as const) {
    const times = w.passes.filter((pass) => pass.name === name).map((pass) => pass.at);
    assert.ok(times.length >= (30 * day) / interval - 3, `${name} ran ${times.length} times`);
    for (const gap of gaps(times)) assert.ok(gap >= interval * 0.9 && gap <= interval * 1.1, `${name}: ${gap / hour} h between passes`);
  }
  const spread = new Set(gaps(w.passes.filter((pass) => pass.name === 'a').map((pass) => pass.at)));
  assert.ok(spread.size > 5, 'the intervals are jittered, not fixed');
  await w.scheduler.stop();
  assert.equal(w.clock.timers.size, 0, 'stop leaves no timer behind');
});

test('at start-up, overdue registries run at once and the others wait for their time', async () => {
  const w = world([
    { name: 'overdue', intervalMs: day, state: 'valid', nextKeepAliveAt: Date.parse('2026-11-20T08:00:00Z') },
    { name: 'never-kept', intervalMs: day, state: 'valid' },
    { name: 'later', intervalMs: day, state: 'valid', nextKeepAliveAt: Date.parse('2026-11-22T18:00:00Z') },
    { name: 'off', intervalMs: null, state: 'valid' },
    { name: 'gone', intervalMs: day, state: 'signed-out' },
  ]);
  w.scheduler.start();
  await w.advance(0);
  assert.deepEqual(w.passes.map((pass) => pass.name).sort(), ['never-kept', 'overdue']);
  await w.advance(10 * hour);
  assert.deepEqual(w.passes.map((pass) => pass.name).sort(), ['later', 'never-kept', 'overdue']);
  assert.equal(w.passes.find((pass) => pass.name === 'later')?.at, Date.parse('2026-11-22T18:00:00Z'));
  assert.equal(w.planned.get('overdue'), Date.parse('2026-11-23T08:00:00Z'), 'the next pass is recorded for the status model');
  await w.scheduler.stop();
});

test('offline backs off from 1 minute doubling to 1 hour, never past the interval, and returns to the schedule on success', async () => {
  let online = false;
  const w = world([{ name: 'a', intervalMs: day, state: 'valid' }], () => (online ? 'valid' : 'offline'));
  w.scheduler.start();
  await w.advance(5 * hour);
  const delays = gaps(w.passes.map((pass) => pass.at)).slice(0, 9);
  assert.deepEqual(delays.map((delay) => delay / minute), [1, 2, 4, 8, 16, 32, 60, 60, 60]);
  online = true;
  const before = w.passes.length;
  await w.advance(hour);
  assert.equal(w.passes.length, before + 1, 'one more try within the hour, which succeeds');
  await w.advance(20 * hour);
  assert.equal(w.passes.length, before + 1, 'then the regular 24 h interval again');

  const short = world([{ name: 'b', intervalMs: 10 * minute, state: 'valid' }], () => 'offline');
  short.scheduler.start();
  await short.advance(2 * hour);
  assert.ok(Math.max(...gaps(short.passes.map((pass) => pass.at))) <= 10 * minute, 'backoff never waits longer than the interval');
  await Promise.all([w.scheduler.stop(), short.scheduler.stop()]);
});

test('a locked keychain (and an error) backs off like offline, so a keyring unlocked after boot is tried again within the hour, not the next day', async () => {
  for (const failing of ['keychain-locked', 'error'] as const) {
    let unlocked = false;
    const w = world([{ name: 'a', intervalMs: day, state: 'valid' }], () => (unlocked ? 'valid' : failing));
    w.scheduler.start();
    await w.advance(3 * hour);
    assert.deepEqual(gaps(w.passes.map((pass) => pass.at)).slice(0, 6).map((delay) => delay / minute), [1, 2, 4, 8, 16, 32], failing);
    unlocked = true;
    const before = w.passes.length;
    await w.advance(hour);
    assert.equal(w.passes.length, before + 1, `${failing}: tried again within the hour, and fine`);
    assert.equal(w.byName.get('a')?.state, 'valid');
    await w.scheduler.stop();
  }
});

test('after Harbor rejects the secret, it is re-checked every 5 minutes for an hour, then on the regular interval', async () => {
  const w = world([{ name: 'a', intervalMs: day, state: 'valid' }], () => 'needs-web-login');
  w.scheduler.start();
  await w.advance(3 * hour);
  const delays = gaps(w.passes.map((pass) => pass.at)).map((delay) => delay / minute);
  assert.deepEqual(delays, Array(12).fill(5), 'twelve re-checks five minutes apart, then nothing until the next day');
  await w.advance(day);
  assert.equal(w.passes.length, 14);
  await w.scheduler.stop();
});

test('a state reached outside its passes (a refresh from the CLI or the tray) gets that state\'s schedule: a dead Harbor session is looked at again in minutes', async () => {
  const w = world([{ name: 'a', intervalMs: day, state: 'valid', lastKeptAliveAt: Date.parse('2026-11-22T07:00:00Z') }], () => 'valid');
  w.scheduler.start();
  assert.equal(w.planned.get('a'), Date.parse('2026-11-23T07:00:00Z'));
  // `berth refresh` finds Harbor's session dead; the status event makes the app's scheduler sync.
  (w.byName.get('a') as KeepAliveTarget).state = 'needs-web-login';
  w.scheduler.sync();
  assert.equal(w.planned.get('a'), w.clock.time + 5 * minute, 'the window shows the re-check, not tomorrow');
  await w.advance(5 * minute);
  assert.equal(w.passes.length, 1, 're-checked five minutes later');
  // Fine again from elsewhere: the regular schedule it already has stands.
  (w.byName.get('a') as KeepAliveTarget).state = 'valid';
  const planned = w.planned.get('a');
  w.scheduler.sync();
  assert.equal(w.planned.get('a'), planned);
  await w.scheduler.stop();
});

test('a nudge after sleep runs what fell due, and retries offline registries at once', async () => {
  const w = world(
    [
      { name: 'due', intervalMs: day, state: 'valid', nextKeepAliveAt: Date.parse('2026-11-22T20:00:00Z') },
      { name: 'fresh', intervalMs: day, state: 'valid', nextKeepAliveAt: Date.parse('2026-11-24T20:00:00Z') },
    ],
    () => 'valid',
  );
  w.scheduler.start();
  // The machine sleeps for two days: wall time moves, timers do not fire.
  w.clock.time += 2 * day;
  w.scheduler.nudge();
  await w.advance(0);
  assert.deepEqual(w.passes.map((pass) => pass.name), ['due']);
  await w.scheduler.stop();

  let online = false;
  const offline = world([{ name: 'a', intervalMs: day, state: 'valid' }], () => (online ? 'valid' : 'offline'));
  offline.scheduler.start();
  await offline.advance(10 * minute);
  const tries = offline.passes.length;
  online = true;
  offline.scheduler.nudge();
  await offline.advance(0);
  assert.equal(offline.passes.length, tries + 1, 'network back: the offline registry is tried at once');
  assert.equal(offline.byName.get('a')?.state, 'valid');
  await offline.scheduler.stop();
});

test('a pass another process just made is not repeated; registries added or signed out are picked up by sync', async () => {
  const w = world([{ name: 'a', intervalMs: day, state: 'valid', lastKeptAliveAt: Date.parse('2026-11-21T09:00:00Z') }]);
  w.scheduler.start();
  const target = w.byName.get('a') as KeepAliveTarget;
  target.lastKeptAliveAt = Date.parse('2026-11-22T07:30:00Z');
  await w.advance(2 * hour);
  assert.equal(w.passes.length, 0, 'the CLI kept it alive half an hour ago');
  assert.equal(w.planned.get('a'), Date.parse('2026-11-23T07:30:00Z'));

  w.byName.set('b', { name: 'b', intervalMs: day, state: 'valid' });
  w.scheduler.sync();
  await w.advance(0);
  assert.deepEqual(w.passes.map((pass) => pass.name), ['b']);
  target.state = 'signed-out';
  (w.byName.get('b') as KeepAliveTarget).state = 'signed-out';
  w.scheduler.sync();
  assert.equal(w.clock.timers.size, 0, 'nothing left to keep alive, so no timer');
  await w.scheduler.stop();
});

test('a new interval (berth set --keep-alive-hours) counts from the last pass at once, not after the pass the old one planned', async () => {
  const w = world([{ name: 'a', intervalMs: day, state: 'valid', lastKeptAliveAt: Date.parse('2026-11-22T07:00:00Z') }]);
  w.scheduler.start();
  assert.equal(w.scheduler.schedule().get('a'), Date.parse('2026-11-23T07:00:00Z'));
  const target = w.byName.get('a') as KeepAliveTarget;
  target.intervalMs = 2 * hour;
  w.scheduler.sync();
  assert.equal(w.scheduler.schedule().get('a'), Date.parse('2026-11-22T09:00:00Z'), 'two hours after the last pass');
  assert.equal(w.planned.get('a'), Date.parse('2026-11-22T09:00:00Z'), 'the status shows it too');
  await w.advance(59 * minute);
  assert.equal(w.passes.length, 0);
  await w.advance(2 * minute);
  assert.equal(w.passes.length, 1, 'the pass came on the new interval');
  target.intervalMs = 30 * minute;
  target.lastKeptAliveAt = Date.parse('2026-11-22T06:00:00Z');
  w.scheduler.sync();
  assert.equal(w.scheduler.schedule().get('a'), w.clock.time, 'already overdue on the shorter interval: due now, never in the past');
  await w.scheduler.stop();
});

test('runDueNow (berth keepalive --once) runs only what is overdue, reports each pass, and leaves no timer', async () => {
  const w = world([
    { name: 'overdue', intervalMs: day, state: 'valid', lastKeptAliveAt: Date.parse('2026-11-21T07:00:00Z') },
    { name: 'later', intervalMs: day, state: 'valid', lastKeptAliveAt: Date.parse('2026-11-22T07:00:00Z') },
    { name: 'planned-past', intervalMs: day, state: 'offline', lastKeptAliveAt: Date.parse('2026-11-22T07:00:00Z'), nextKeepAliveAt: Date.parse('2026-11-22T07:30:00Z') },
    { name: 'off', intervalMs: null, state: 'valid' },
  ]);
  const reports: string[] = [];
  w.deps.onPass = (report) => reports.push(`${report.name} ${report.state}`);
  await w.scheduler.runDueNow();
  assert.deepEqual(w.passes.map((pass) => pass.name).sort(), ['overdue', 'planned-past']);
  assert.deepEqual(reports.sort(), ['overdue valid', 'planned-past valid']);
  assert.equal(w.clock.timers.size, 0, 'nothing armed for later: the process can exit');
});

test('200 registries due at once run a few at a time, and stopping waits only for the passes under way', async () => {
  const clock = new FakeClock();
  const targets: KeepAliveTarget[] = Array.from({ length: 200 }, (_, i) => ({ name: `r${i}`, intervalMs: minute, state: 'valid' }));
  let running = 0;
  let mostAtOnce = 0;
  let started = 0;
  const gates: (() => void)[] = [];
  const scheduler = new KeepAliveScheduler({
    clock,
    targets: () => targets,
    runPass: async () => {
      started += 1;
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      // Each pass waits until the test lets it finish, as a network round trip would.
      await new Promise<void>((resolve) => gates.push(resolve));
      running -= 1;
      return 'valid';
    },
    planned: () => undefined,
  });
  scheduler.start();
  const tick = [...clock.timers.values()][0];
  assert.ok(tick, 'one timer for the registries due now');
  clock.timers.clear();
  tick.callback();
  for (let i = 0; i < 20; i++) await Promise.resolve();
  assert.equal(running, 8, 'eight passes under way, the other 192 queued');
  // Three finish; three more start in their place.
  for (const open of gates.splice(0, 3)) open();
  for (let i = 0; i < 20; i++) await Promise.resolve();
  assert.equal(running, 8);
  assert.equal(started, 11);
  // Ctrl-C: no new pass starts, and stop() resolves once the eight under way are done.
  const stopping = scheduler.stop();
  let stopped = false;
  void stopping.then(() => (stopped = true));
  for (const open of gates.splice(0)) open();
  await stopping;
  assert.ok(stopped);
  assert.equal(started, 11, 'nothing started after stop');
  assert.equal(mostAtOnce, 8);
});

test('a stop reports the pass that finished before it and stays silent about the one it cut short', async () => {
  const clock = new FakeClock();
  const targets: KeepAliveTarget[] = [
    { name: 'done', intervalMs: minute, state: 'needs-web-login' },
    { name: 'cut', intervalMs: minute, state: 'valid' },
  ];
  const gates = new Map<string, () => void>();
  const reported: { name: string; state: RegistryState }[] = [];
  const scheduler = new KeepAliveScheduler({
    clock,
    targets: () => targets,
    runPass: async (name, signal) => {
      await new Promise<void>((resolve) => gates.set(name, resolve));
      // `cut` was still waiting on its server when the stop came; `done` had its answer (and wrote it) just before.
      return name === 'cut' && signal.aborted ? null : 'valid';
    },
    planned: () => undefined,
    onPass: (report) => reported.push({ name: report.name, state: report.state }),
  });
  scheduler.start();
  [...clock.timers.values()][0]?.callback();
  clock.timers.clear();
  for (let i = 0; i < 20; i++) await Promise.resolve();
  assert.deepEqual([...gates.keys()].sort(), ['cut', 'done']);
  const stopping = scheduler.stop();
  gates.get('done')?.();
  gates.get('cut')?.();
  await stopping;
  assert.deepEqual(reported, [{ name: 'done', state: 'valid' }], 'the finished pass is reported, the stopped one is not');
});

test("a short-lived token written to docker's config is renewed by its due time, whatever the daily interval says, and never back to back", async () => {
  const lifetime = 10 * minute;
  const margin = 2 * minute;
  const w = world([{ name: 'stackit', intervalMs: day, state: 'valid' }]);
  const target = w.byName.get('stackit') as KeepAliveTarget;
  // Each pass writes a new token: the next one is due `margin` before its end.
  const renew = w.deps.runPass;
  w.deps.runPass = async (name, signal) => {
    const state = await renew(name, signal);
    target.dueBy = w.clock.time + lifetime - margin;
    return state;
  };
  target.lastKeptAliveAt = w.clock.time;
  target.dueBy = w.clock.time + lifetime - margin;
  w.scheduler.start();
  await w.advance(lifetime * 3);
  assert.deepEqual(gaps(w.passes.map((pass) => pass.at)), [lifetime - margin, lifetime - margin], 'a pass each time the written token nears its end');
  assert.equal(w.passes[0]?.at, w.clock.time - lifetime * 3 + lifetime - margin, 'the first pass at the first due time, not a day later');

  // A token that lives shorter than the margin: passes still leave a gap instead of running back to back.
  w.deps.runPass = async (name, signal) => {
    const state = await renew(name, signal);
    target.dueBy = w.clock.time - minute;
    return state;
  };
  const before = w.passes.length;
  await w.advance(10_000);
  assert.ok(w.passes.length - before <= 11, `${w.passes.length - before} passes in 10 s`);
  await w.scheduler.stop();
});
