import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { withFileLock } from '../../main/credentials/file-lock.js';
import { BerthError } from '../../main/errors.js';
import { RegistryLocks } from '../../main/keepalive/registry-lock.js';
import { projectRoot, run } from '../helpers/berth.js';

const holder = join(projectRoot, 'dist', 'test', 'helpers', 'lock-holder.js');

test('processes take the lock one at a time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  const journal = join(dir, 'journal');
  const results = await Promise.all(Array.from({ length: 8 }, () => run(process.execPath, [holder, dir, 'work', '30', journal], process.env)));
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const lines = readFileSync(journal, 'utf8').trim().split('\n');
  assert.equal(lines.length, 16);
  for (let i = 0; i < lines.length; i += 2) {
    const [start, end] = [lines[i]?.split(' '), lines[i + 1]?.split(' ')];
    assert.deepEqual([start?.[0], end?.[0], start?.[1]], ['start', 'end', end?.[1]], `holders interleaved: ${lines.join(', ')}`);
  }
  assert.ok(!existsSync(join(dir, 'work.lock')), 'the last holder removed the lock');
});

test('a holder killed with SIGKILL does not block the next one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  const child = spawn(process.execPath, [holder, dir, 'work', 'forever'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const waiting = new RegistryLocks(dir, { timeoutMs: 30_000 }).acquire('work');
  child.kill('SIGKILL');
  const started = Date.now();
  const release = await waiting;
  assert.ok(Date.now() - started < 5_000, 'taken over as soon as the holder is gone');
  await release();
});

test('a lock nobody touches for the stale time is taken over; a live one times out with a message that names it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  const path = join(dir, 'work.lock');
  // A holder on another machine sharing the home folder: its pid means nothing here, only its heartbeat counts.
  writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere', id: 'x', since: new Date().toISOString() }));
  const old = new Date(Date.now() - 10_000);
  utimesSync(path, old, old);
  const release = await new RegistryLocks(dir, { staleMs: 5_000, timeoutMs: 2_000 }).acquire('work');
  await release();

  writeFileSync(path, JSON.stringify({ pid: 1, host: 'elsewhere', id: 'y', since: new Date().toISOString() }));
  await assert.rejects(new RegistryLocks(dir, { staleMs: 60_000, timeoutMs: 300 }).acquire('work'), (error: unknown) => {
    assert.ok(error instanceof BerthError);
    assert.equal(error.code, 'lock-timeout');
    assert.match(error.message, /process 1 on elsewhere has been refreshing work/);
    assert.ok(error.message.includes(path));
    return true;
  });
  assert.equal(JSON.parse(readFileSync(path, 'utf8')).id, 'y', 'a live lock is never removed');
});

/** A lock file as its creator leaves it when killed between creating the file and writing its owner into it. */
function createdThenKilled(path: string): void {
  spawnSync(process.execPath, ['-e', `require('node:fs').openSync(${JSON.stringify(path)}, 'wx'); process.kill(process.pid, 'SIGKILL')`]);
  assert.equal(readFileSync(path, 'utf8'), '', 'the creator died before writing its owner');
}

test('an empty or half-written lock file is taken over within seconds, not after the 120 s stale time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  const path = join(dir, 'work.lock');
  // Default timing (a 120 s stale time); a wait as long as that one would end in lock-timeout here.
  const locks = new RegistryLocks(dir, { timeoutMs: 30_000 });
  createdThenKilled(path);
  await (await locks.acquire('work'))();
  writeFileSync(path, '{"pid": 12');
  await (await locks.acquire('work'))();
  assert.ok(!existsSync(path));
});

test('an empty lock file beside docker’s config.json is taken over before the writer gives up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  const path = join(dir, '.config.json.berth.lock');
  createdThenKilled(path);
  assert.equal(withFileLock(path, () => 'written'), 'written');
  assert.ok(!existsSync(path));
});

/** The journal's holders came one after the other: every start is followed by its own end before the next start. */
function assertOneAtATime(journal: string, holders: number): void {
  const lines = readFileSync(journal, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2 * holders);
  for (let i = 0; i < lines.length; i += 2) {
    const [start, end] = [lines[i]?.split(' '), lines[i + 1]?.split(' ')];
    assert.deepEqual([start?.[0], end?.[0], start?.[1]], ['start', 'end', end?.[1]], `two holders at once: ${lines.join(', ')}`);
  }
}

test('waiters taking over one empty lock file at once: exactly one wins at a time, for registry locks and file locks alike', async () => {
  const fileHolder = join(projectRoot, 'dist', 'test', 'helpers', 'file-lock-holder.js');
  for (let round = 0; round < 4; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
    const registryJournal = join(dir, 'registry-journal');
    const fileJournal = join(dir, 'file-journal');
    // Both locks as a creator killed between creating and writing them leaves them, past the grace for that.
    for (const path of [join(dir, 'work.lock'), join(dir, '.config.json.berth.lock')]) {
      writeFileSync(path, '');
      const old = new Date(Date.now() - 10_000);
      utimesSync(path, old, old);
    }
    const waiters = 6;
    // Every waiter is started and polling before the go file appears: they all find the stale lock at the same moment.
    const go = join(dir, 'go');
    const running = Promise.all([
      ...Array.from({ length: waiters }, () => run(process.execPath, [holder, dir, 'work', '20', registryJournal, go], process.env)),
      ...Array.from({ length: waiters }, () => run(process.execPath, [fileHolder, join(dir, '.config.json.berth.lock'), fileJournal, '20', go], process.env)),
    ]);
    await sleep(1500);
    writeFileSync(go, '');
    const results = await running;
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    assertOneAtATime(registryJournal, waiters);
    assertOneAtATime(fileJournal, waiters);
  }
});

test('a lock is never seen empty while it is being taken, so no waiter can mistake a fresh lock for an abandoned one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  const stop = join(dir, 'stop');
  const watch = (lock: string) => run(process.execPath, [join(projectRoot, 'dist', 'test', 'helpers', 'lock-watcher.js'), lock, stop], process.env);
  const watchers = [watch(join(dir, 'work.lock')), watch(join(dir, '.config.json.berth.lock'))];
  await sleep(500);
  const locks = new RegistryLocks(dir);
  // Each held for a moment, so the watchers also see the locks in place.
  for (let i = 0; i < 300; i++) {
    const release = await locks.acquire('work');
    await sleep(2);
    await release();
    withFileLock(join(dir, '.config.json.berth.lock'), () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2));
  }
  writeFileSync(stop, '');
  for (const watcher of await Promise.all(watchers)) {
    const [empty, seen] = watcher.stdout.trim().split(' ').map(Number);
    assert.ok((seen ?? 0) > 0, 'the watcher saw the lock');
    assert.equal(empty, 0, `the lock was seen empty ${empty} times in ${seen} reads`);
  }
});

test('a holder working longer than the stale time keeps its lock: its heartbeat keeps the lock fresh', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
  const path = join(dir, 'work.lock');
  const staleMs = 3_000;
  // Heartbeats every 750 ms: a waiter only takes over if the holder stalls for more than 2 s.
  const release = await new RegistryLocks(dir, { staleMs }).acquire('work');
  const holderId = JSON.parse(readFileSync(path, 'utf8')).id as string;
  try {
    const started = Date.now();
    await assert.rejects(new RegistryLocks(dir, { staleMs, timeoutMs: 2.5 * staleMs }).acquire('work'), (error: unknown) => error instanceof BerthError && error.code === 'lock-timeout');
    assert.ok(Date.now() - started >= 2.5 * staleMs, 'the waiter waited out its whole timeout, past the stale time');
    assert.equal(JSON.parse(readFileSync(path, 'utf8')).id, holderId, 'the lock is still the holder’s');
    assert.ok(Date.now() - statSync(path).mtimeMs < staleMs, 'touched within the stale time');
  } finally {
    await release();
  }
  assert.ok(!existsSync(path));
});
