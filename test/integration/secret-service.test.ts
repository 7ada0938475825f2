import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sessionBusSocket } from '../../main/dbus/session-bus.js';
import { readKeytarEntry, SecretServiceFailure } from '../../main/secrets/secret-service.js';
import { busWithKeyring, busWithoutKeyring, holdBusName, silentBus } from '../helpers/session-bus.js';
import { unless } from '../rig/components.js';

const keytarPath = createRequire(import.meta.url).resolve('keytar');

/** Stores entries the way the rest of Berth does (keytar, through libsecret), on the bus at `address`. */
async function keytarSet(address: string, entries: [string, string, string][]): Promise<void> {
  const script = `const k = require(${JSON.stringify(keytarPath)}); (async () => { for (const [s, a, v] of ${JSON.stringify(entries)}) await k.setPassword(s, a, v); })()`;
  await promisify(execFile)(process.execPath, ['-e', script], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address } });
}

async function failureOf(read: Promise<unknown>): Promise<string> {
  try {
    await read;
  } catch (error) {
    assert.ok(error instanceof SecretServiceFailure, String(error));
    return error.reason;
  }
  return 'no failure';
}

const socketOf = (address: string) => sessionBusSocket(address) as string;

describe("the Secret Service read over Berth's own D-Bus connection", { skip: unless('dbus', 'keyring') }, () => {
  test('reads what keytar stored, byte for byte, in the order of the accounts asked; nothing is null; a locked item is locked', async () => {
    const keyring = await busWithKeyring();
    try {
      const value = `Zoë's secret ✓ ${'x'.repeat(3000)}`;
      await keytarSet(keyring.address, [
        ['Berth', 'home/work/cli-secret', value],
        ['Berth', 'work/cli-secret', 'an entry named the old way'],
        ['Other', 'home/work/cli-secret', 'another service'],
      ]);
      const socket = socketOf(keyring.address);
      assert.deepEqual(await readKeytarEntry(socket, 5000, 'Berth', ['home/work/cli-secret', 'work/cli-secret']), { account: 'home/work/cli-secret', value });
      assert.deepEqual(await readKeytarEntry(socket, 5000, 'Berth', ['home/lab/cli-secret', 'work/cli-secret']), { account: 'work/cli-secret', value: 'an entry named the old way' });
      assert.equal(await readKeytarEntry(socket, 5000, 'Berth', ['home/lab/cli-secret']), null);
      assert.equal(await readKeytarEntry(socket, 5000, 'Nobody', ['home/work/cli-secret']), null, 'another service’s entry is not Berth’s');

      await keyring.lock();
      assert.equal(await failureOf(readKeytarEntry(socket, 5000, 'Berth', ['home/work/cli-secret'])), 'locked');
    } finally {
      await keyring.stop();
    }
  });

  test('no Secret Service, a bus that never answers, and a Secret Service that never answers are each told apart', async () => {
    const bus = await busWithoutKeyring();
    const silent = await silentBus();
    try {
      assert.equal(await failureOf(readKeytarEntry(socketOf(bus.address), 5000, 'Berth', ['a'])), 'no-service');
      assert.equal(await failureOf(readKeytarEntry(socketOf(silent.address), 500, 'Berth', ['a'])), 'silent-bus');
      const service = await holdBusName(bus.address, 'org.freedesktop.secrets');
      try {
        assert.equal(await failureOf(readKeytarEntry(socketOf(bus.address), 500, 'Berth', ['a'])), 'silent-service');
      } finally {
        service.release();
      }
    } finally {
      await Promise.all([bus.stop(), silent.stop()]);
    }
  });
});
