import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import type { HostileServer } from '../rig/hostile.js';
import { startRig, type Rig } from '../rig/index.js';
import { workspace } from '../helpers/berth.js';
import { anyLoginRegistry, concurrentWriterRounds, regenerateRounds, statusLoops, statusWriterRounds, twoSignedIn } from '../helpers/writers.js';

const rounds = 20;

describe('Berth, Berth and the real docker login writing at once', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  let first: Rig;
  let second: Rig;
  let foreign: HostileServer;
  before(async () => {
    [first, second, foreign] = await Promise.all([startRig(), startRig(), anyLoginRegistry()]);
    await Promise.all([first.webLogin('alice'), second.webLogin('bob')]);
  });
  after(() => Promise.all([first?.stop(), second?.stop(), foreign?.stop()]));

  test(`${rounds} rounds of two berth targets and a docker login at once: no entry is lost, and refresh repairs what docker overwrote`, async () => {
    const ws = workspace();
    await twoSignedIn(ws, first, second);
    const hosts = { one: new URL(first.harbor.url).host, two: new URL(second.harbor.url).host };
    const done = await concurrentWriterRounds(ws, hosts, new URL(foreign.url).host, rounds);
    assert.deepEqual([done.failures, done.lost], [[], []]);
    assert.ok(done.overlapped > 0, 'docker login wrote across a Berth write in some rounds');
  });

  test(`${rounds} rounds of berth regenerate and a docker login at once: docker's entry survives, and after refresh docker and the keychain hold Harbor's new secret`, async () => {
    const ws = workspace();
    await twoSignedIn(ws, first, second);
    const done = await regenerateRounds(ws, first, new URL(first.harbor.url).host, new URL(foreign.url).host, rounds);
    assert.deepEqual([done.failures, done.lost], [[], []]);
    assert.ok(done.overlapped > 0, 'docker login wrote across a Berth write in some rounds');
  });

  test(`status.json written by two processes at once: ${rounds} rounds of two refreshes, and two writers of 300 updates each, lose no update`, async () => {
    const ws = workspace();
    await twoSignedIn(ws, first, second);
    assert.deepEqual(await statusWriterRounds(ws, rounds), { failures: [], lost: [], overlapped: 0 });
    assert.deepEqual(await statusLoops(300), { failures: [], lost: [], overlapped: 0 });
  });
});
