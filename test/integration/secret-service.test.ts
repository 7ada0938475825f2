import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { sessionBusSocket } from '../../main/dbus/session-bus.js';
import { keytarAccounts, readKeytarEntry, SecretServiceFailure } from '../../main/secrets/secret-service.js';
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

      assert.deepEqual((await keytarAccounts(socket, 5000, 'Berth')).sort(), ['home/work/cli-secret', 'work/cli-secret'], 'every account of the service, no other service’s');

      await keyring.lock();
      assert.equal(await failureOf(readKeytarEntry(socket, 5000, 'Berth', ['home/work/cli-secret'])), 'locked');
      assert.deepEqual((await keytarAccounts(socket, 5000, 'Berth')).sort(), ['home/work/cli-secret', 'work/cli-secret'], 'a locked keyring’s accounts are listed too');
    } finally {
      await keyring.stop();
    }
  });

  test('many short-lived readers and listings at once, while another process replaces and deletes an entry: the keyring daemon stays up and every read answers', async () => {
    const keyring = await busWithKeyring();
    // Replaces and deletes one entry in a loop, as `berth` processes do beside docker's credential helper.
    const churn = execFile(process.execPath, ['-e', `const k = require(${JSON.stringify(keytarPath)}); (async () => { for (let i = 0; ; i++) { await k.setPassword('Berth', 'home/churn/token', 'churned-' + i); await k.deletePassword('Berth', 'home/churn/token'); } })()`], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: keyring.address },
    });
    churn.on('error', () => undefined);
    try {
      await keytarSet(keyring.address, [['Berth', 'home/work/cli-secret', 'steady']]);
      const socket = socketOf(keyring.address);
      const wrong: string[] = [];
      // Each read is a new connection whose first message reaches gnome-keyring at once: the pattern its client bookkeeping gets wrong under load.
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let read = 0; read < 300; read++) {
            const [steady, churned] = await Promise.allSettled([readKeytarEntry(socket, 5000, 'Berth', ['home/work/cli-secret']), readKeytarEntry(socket, 5000, 'Berth', ['home/churn/token'])]);
            if (steady.status === 'rejected' || steady.value?.value !== 'steady') wrong.push(`steady entry: ${steady.status === 'rejected' ? String(steady.reason) : JSON.stringify(steady.value)}`);
            if (churned.status === 'rejected' || !(churned.value === null || churned.value.value.startsWith('churned-'))) wrong.push(`churned entry: ${churned.status === 'rejected' ? String(churned.reason) : JSON.stringify(churned.value)}`);
            if (read % 10 === 0) {
              const listed = await keytarAccounts(socket, 5000, 'Berth').catch((error: unknown) => [String(error)]);
              if (!listed.includes('home/work/cli-secret') || listed.some((account) => account !== 'home/work/cli-secret' && account !== 'home/churn/token')) wrong.push(`listing: ${listed.join(', ')}`);
            }
          }
        }),
      );
      assert.ok(keyring.running(), 'gnome-keyring-daemon is still running');
      assert.deepEqual(wrong.slice(0, 5), [], `${wrong.length} of 4800 reads went wrong`);
    } finally {
      churn.kill('SIGKILL');
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
