import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileSecretStore } from '../../main/secrets/file-store.js';
import { secretsFile } from '../../main/settings/paths.js';

function home(): string {
  return mkdtempSync(join(tmpdir(), 'berth-file-store-'));
}

test('the file store keeps secrets by registry and kind, 0600 in a 0700 folder, even after someone loosened them', async () => {
  const dir = home();
  const store = fileSecretStore(dir);
  assert.equal(await store.get('work', 'cli-secret'), null, 'no file yet: no secret');
  await store.set('work', 'cli-secret', 'S3cret-one');
  await store.set('work', 'refresh-token', 'rt-1');
  await store.set('other', 'cli-secret', 'S3cret-two');
  assert.equal(await store.get('work', 'cli-secret'), 'S3cret-one');
  assert.equal(await store.get('other', 'cli-secret'), 'S3cret-two');
  const path = secretsFile(dir);
  chmodSync(path, 0o644);
  chmodSync(dirname(path), 0o755);
  await store.delete('work', 'refresh-token');
  assert.equal(statSync(path).mode & 0o777, 0o600, 'written back 0600');
  assert.equal(statSync(dirname(path)).mode & 0o777, 0o700);
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { 'work/cli-secret': 'S3cret-one', 'other/cli-secret': 'S3cret-two' });
});

test('a secret file that does not parse is named and never written over', async () => {
  const dir = home();
  const path = secretsFile(dir);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, '{"work/cli-secret": "S3cret-one",', { mode: 0o600 });
  const store = fileSecretStore(dir);
  await assert.rejects(store.get('work', 'cli-secret'), new RegExp(`${path.replace(/[.]/g, '\\.')}:1:\\d+: not valid JSON`));
  await assert.rejects(store.set('work', 'cli-secret', 'new'), /not valid JSON.*did not change the file/);
  assert.equal(readFileSync(path, 'utf8'), '{"work/cli-secret": "S3cret-one",', 'the file is as it was');
});

test('a copy of the secrets a killed writer left beside the file goes with the next change, even one that writes nothing; deleting from no file makes no folder', async () => {
  const dir = home();
  const store = fileSecretStore(dir);
  await store.delete('work', 'cli-secret');
  assert.equal(existsSync(dirname(secretsFile(dir))), false, 'no folder made to delete nothing from');
  await store.set('work', 'cli-secret', 'S3cret-one');
  const dead = spawn(process.execPath, ['-e', '0']);
  const deadPid = await new Promise<number>((resolve) => dead.once('exit', () => resolve(dead.pid as number)));
  const leftover = join(dirname(secretsFile(dir)), `.secrets.json.berth-${deadPid}-0a1b2c3d4e5f.tmp`);
  writeFileSync(leftover, '{"work/cli-secret": "S3cret-one"}', { mode: 0o600 });
  await store.delete('other', 'cli-secret');
  assert.equal(existsSync(leftover), false, 'removed although nothing was written');
  assert.equal(await store.get('work', 'cli-secret'), 'S3cret-one');
});
