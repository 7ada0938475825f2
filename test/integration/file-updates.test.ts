import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { processStart, tempFileFor } from '../../main/credentials/file-lock.js';
import { lockFileFor, updateJsonDocument, writeTextFileAtomically } from '../../main/credentials/json-file.js';

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'berth-updates-'));
}

test('a writer that takes no lock (docker) changing the file between Berth’s read and its rename: Berth starts over and keeps both changes', () => {
  const path = join(folder(), 'config.json');
  writeFileSync(path, JSON.stringify({ auths: { 'a.example.org': { auth: 'YTpi' } } }));
  let calls = 0;
  updateJsonDocument(path, (data) => {
    calls += 1;
    // docker login writes its own entry while Berth is in the middle of its change (first time only).
    if (calls === 1) writeTextFileAtomically(path, JSON.stringify({ auths: { ...(data.auths as object), 'docker.example.org': { auth: 'ZDpl' } } }), 0o600);
    return { ...data, auths: { ...(data.auths as object), 'berth.example.org': { auth: 'Yjpj' } } };
  });
  assert.equal(calls, 2, 'Berth noticed and started over from the new content');
  assert.deepEqual(Object.keys((JSON.parse(readFileSync(path, 'utf8')) as { auths: object }).auths).sort(), ['a.example.org', 'berth.example.org', 'docker.example.org']);
});

test('docker in the middle of its write (its temp `config.json<digits>` written, not yet renamed over): Berth waits for the rename and keeps both entries', async () => {
  const dir = folder();
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ auths: { 'a.example.org': { auth: 'YTpi' } } }));
  const dockerTemp = join(dir, 'config.json2718281828');
  // The docker CLI's save: the whole new file into a temp beside it, then a rename over config.json; this one is slow.
  const docker = spawn(process.execPath, [
    '-e',
    `const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(dockerTemp)}, JSON.stringify({ auths: { 'a.example.org': { auth: 'YTpi' }, 'docker.example.org': { auth: 'ZDpl' } } })); console.log('written'); setTimeout(() => fs.renameSync(${JSON.stringify(dockerTemp)}, ${JSON.stringify(path)}), 800);`,
  ]);
  await new Promise<void>((resolve) => docker.stdout.once('data', () => resolve()));
  let changes = 0;
  updateJsonDocument(path, (data) => {
    changes += 1;
    return { ...data, auths: { ...(data.auths as object), 'berth.example.org': { auth: 'Yjpj' } } };
  });
  await new Promise((resolve) => docker.once('exit', resolve));
  assert.deepEqual(Object.keys((JSON.parse(readFileSync(path, 'utf8')) as { auths: object }).auths).sort(), ['a.example.org', 'berth.example.org', 'docker.example.org']);
  assert.equal(changes, 1, 'Berth read once, after docker’s rename, instead of writing a temp file again at every pause');
});

test('a temp file a killed docker left behind does not hold Berth back, and is not Berth’s to remove', () => {
  const dir = folder();
  const path = join(dir, 'config.json');
  writeFileSync(path, '{}');
  const leftover = join(dir, 'config.json31415');
  writeFileSync(leftover, '{"auths":{}}');
  const old = new Date(Date.now() - 10_000);
  utimesSync(leftover, old, old);
  const started = Date.now();
  updateJsonDocument(path, () => ({ auths: { 'berth.example.org': { auth: 'Yjpj' } } }));
  assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
  assert.ok(existsSync(leftover));
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { auths: { 'berth.example.org': { auth: 'Yjpj' } } });
});

test('another process holding the file’s lock makes Berth wait, and Berth goes on once it is released', async () => {
  const path = join(folder(), 'settings.json');
  writeFileSync(path, '{}');
  const lock = lockFileFor(path);
  // Another Berth process in the middle of its own change: it holds the lock for half a second.
  const holder = spawn(process.execPath, [
    '-e',
    `const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(lock)}, JSON.stringify({ pid: process.pid, host: require('node:os').hostname(), id: 'other' })); console.log('held'); setTimeout(() => fs.rmSync(${JSON.stringify(lock)}), 500);`,
  ]);
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
  const started = Date.now();
  updateJsonDocument(path, (data) => ({ ...data, changed: true }));
  assert.ok(Date.now() - started >= 300, `it waited for the holder (${Date.now() - started} ms)`);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { changed: true });
  assert.equal(existsSync(lock), false, 'and released its own lock');
  await new Promise((resolve) => holder.once('exit', resolve));
});

test('a lock file left empty (its creator killed before writing its name) is taken over after a moment, not waited on for minutes', () => {
  const path = join(folder(), 'status.json');
  writeFileSync(path, '{}');
  const lock = lockFileFor(path);
  writeFileSync(lock, '');
  const old = new Date(Date.now() - 5_000);
  utimesSync(lock, old, old);
  const started = Date.now();
  updateJsonDocument(path, () => ({ ok: true }));
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { ok: true });
});

test('temp files a killed writer left behind (full copies of the file) are removed by the next write; a live writer’s are not', async () => {
  const dir = folder();
  const path = join(dir, 'config.json');
  writeFileSync(path, '{}');
  const dead = spawn(process.execPath, ['-e', '0']);
  const deadPid = await new Promise<number>((resolve) => dead.once('exit', () => resolve(dead.pid as number)));
  const leftovers = [`.config.json.berth-${deadPid}-0a1b2c3d4e5f.tmp`, '.config.json.0a1b2c3d4e5f.tmp'];
  for (const name of leftovers) writeFileSync(join(dir, name), '{"auths":{"x":{"auth":"c2VjcmV0"}}}');
  const old = new Date(Date.now() - 120_000);
  utimesSync(join(dir, '.config.json.0a1b2c3d4e5f.tmp'), old, old);
  const live = `.config.json.berth-${process.pid}-ffffffffffff.tmp`;
  writeFileSync(join(dir, live), '{}');
  const docker = 'config.json1234567890';
  writeFileSync(join(dir, docker), '{}');
  utimesSync(join(dir, docker), old, old);
  updateJsonDocument(path, () => ({ written: true }));
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', docker, live].sort());
});

test('a temp file of a writer killed and not yet reaped (a zombie) is a dead writer’s, and is removed', { skip: process.platform === 'linux' ? false : 'only Linux shows a zombie' }, async () => {
  const dir = folder();
  const path = join(dir, 'config.json');
  writeFileSync(path, '{}');
  // `sleep 0` ends at once; its parent, now `sleep 5`, never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5']);
  const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
  try {
    while (!readFileSync(`/proc/${zombie}/stat`, 'utf8').includes(') Z ')) await new Promise((resolve) => setTimeout(resolve, 10));
    const leftover = `.config.json.berth-${zombie}-0a1b2c3d4e5f.tmp`;
    writeFileSync(join(dir, leftover), '{"auths":{"x":{"auth":"c2VjcmV0"}}}');
    updateJsonDocument(path, () => ({ written: true }));
    assert.deepEqual(readdirSync(dir), ['config.json']);
  } finally {
    parent.kill('SIGKILL');
  }
});

test('a temp file naming a pid that now belongs to another process (it started later) is a dead writer’s, and is removed', { skip: process.platform === 'linux' ? false : 'only Linux says when a process started' }, () => {
  const dir = folder();
  const path = join(dir, 'config.json');
  writeFileSync(path, '{}');
  const start = processStart(process.pid);
  assert.ok(start !== undefined && /^\d+$/.test(start), `this process's start: ${start}`);
  // This process's pid, as a writer that started earlier and was killed would have left it.
  const reused = `.config.json.berth-${process.pid}.${Number(start) - 1}-0a1b2c3d4e5f.tmp`;
  writeFileSync(join(dir, reused), '{"auths":{"x":{"auth":"c2VjcmV0"}}}');
  const mine = basename(tempFileFor(path));
  writeFileSync(join(dir, mine), '{}');
  updateJsonDocument(path, () => ({ written: true }));
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', mine].sort());
});
