import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import keytar from 'keytar';
import { keychainService, secretAccount } from '../../main/secrets/keychain.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerInspect, projectRoot, run, storedSecret, storedStatus, workspace, type Workspace } from '../helpers/berth.js';
import { busWithKeyring, busWithoutKeyring, holdBusName, silentBus } from '../helpers/session-bus.js';
import { finished } from '../helpers/finished.js';

const helperBin = join(projectRoot, 'bin', 'docker-credential-berth.js');

async function signedInAs(rig: Rig, ws: Workspace, name: string, user: string): Promise<void> {
  assert.equal((await ws.berth(...addArgs(rig, name))).code, 0);
  const login = await cliLogin(ws, name, user);
  assert.equal(login.code, 0, login.stderr);
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = Date.now();
  const result = await work();
  return { result, seconds: (Date.now() - started) / 1000 };
}

describe('the OS keychain locked, silent, or shared by two Berth homes', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
    await Promise.all(['alice', 'bob', 'carl', 'dina'].map((user) => rig.webLogin(user)));
  });
  after(() => rig?.stop());

  test('a locked keychain is its own state: refresh, check, regenerate and the helper say so, docker keeps working, and unlocking brings it back', async () => {
    const keyring = await busWithKeyring();
    try {
      const ws = workspace();
      ws.env.DBUS_SESSION_BUS_ADDRESS = keyring.address;
      const name = 'locked';
      await signedInAs(rig, ws, name, 'alice');
      const secret = rig.harbor.user('alice')?.secret;
      const config = readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8');
      await keyring.lock();

      const refresh = await ws.berth('refresh', name, '--json');
      assert.equal(refresh.code, 1);
      const status = (JSON.parse(refresh.stdout) as { state: string; lastError: string }[])[0];
      assert.equal(status?.state, 'keychain-locked', 'not "needs-sign-in": nothing is known to have expired');
      assert.match(status?.lastError ?? '', /The OS keychain is locked, so Berth could not read the locked credentials\. Unlock it/);
      assert.equal(readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8'), config, 'docker credentials untouched');
      assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, "docker's own copy still works");

      const check = await ws.berth('check', name);
      assert.equal(check.code, 1);
      assert.match(check.stderr, /keychain is locked/);
      assert.doesNotMatch(check.stderr, /No credentials/);

      const regenerate = await ws.berth('regenerate', name, '--yes');
      assert.equal(regenerate.code, 1);
      assert.match(regenerate.stderr, /keychain is locked/);
      assert.doesNotMatch(regenerate.stderr, /identity provider|holds no session|sign in/i);
      assert.equal(rig.harbor.user('alice')?.secret, secret, 'Harbor was not asked for a new secret');

      const helper = await run(process.execPath, [helperBin, 'get'], ws.env, new URL(rig.harbor.url).host);
      assert.equal(helper.code, 1);
      assert.match(helper.stdout, /docker-credential-berth: The OS keychain is locked/);

      // docker login through the helper stores nothing, not even a registry without its token.
      const login = await run(process.execPath, [helperBin, 'store'], ws.env, JSON.stringify({ ServerURL: 'tokens.example.org', Username: 'robot', Secret: 'Robot-Token-1' }));
      assert.equal(login.code, 1);
      assert.match(login.stdout, /docker-credential-berth: .*keychain/i);
      assert.deepEqual((JSON.parse((await ws.berth('list', '--json')).stdout) as { name: string }[]).map((registry) => registry.name), [name]);

      await keyring.unlock();
      const back = await ws.berth('refresh', name, '--json');
      assert.equal(back.code, 0, back.stdout + back.stderr);
      assert.equal(storedStatus(ws, name).state, 'valid');
      assertNoSecretsLeaked(rig, ws);
    } finally {
      await keyring.stop();
    }
  });

  test('a D-Bus that accepts and never answers: the helper, check and refresh fail in seconds with the reason, instead of hanging', async () => {
    const ws = workspace();
    const name = 'silent';
    await signedInAs(rig, ws, name, 'bob');
    const bus = await silentBus();
    try {
      ws.env.DBUS_SESSION_BUS_ADDRESS = bus.address;
      const helper = await timed(() => run(process.execPath, [helperBin, 'get'], ws.env, new URL(rig.harbor.url).host));
      assert.equal(helper.result.code, 1);
      assert.match(helper.result.stdout, /The OS keychain did not answer within \d+ s/);
      assert.match(helper.result.stdout, /the session bus or its Secret Service is not answering/, 'the reason says where the silence is');
      assert.ok(helper.seconds < 30, `the helper gave up after ${helper.seconds} s`);

      const check = await timed(() => ws.berth('check', name));
      assert.equal(check.result.code, 1);
      assert.match(check.result.stderr, /^berth check: The OS keychain did not answer within 10 s/);
      assert.match(check.result.stderr, /the session bus or its Secret Service is not answering/);
      // Once, not twice: a check that handed its failure to the full CLI to tell waited there for the keychain again (20 s).
      assert.ok(check.seconds < 15, `check gave up after ${check.seconds} s`);

      const refresh = await timed(() => ws.berth('refresh', name, '--json'));
      assert.equal(refresh.result.code, 1);
      assert.equal((JSON.parse(refresh.result.stdout) as { state: string }[])[0]?.state, 'keychain-locked');
      assert.ok(refresh.seconds < 40, `refresh gave up after ${refresh.seconds} s`);
    } finally {
      await bus.stop();
    }
  });

  test('a Secret Service that answers the bus but never a secret call (an unlock prompt nobody answers): the helper, check and refresh end on their own with keychain-locked and the reason', async () => {
    const ws = workspace();
    const name = 'prompting';
    await signedInAs(rig, ws, name, 'alice');
    const config = readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8');
    const bus = await busWithoutKeyring();
    // Berth's own probe pings the service and gets its answer; the keychain calls after it never get one.
    const service = await holdBusName(bus.address, 'org.freedesktop.secrets');
    try {
      const env = { ...ws.env, DBUS_SESSION_BUS_ADDRESS: bus.address };
      const notAnswering = (seconds: number) => new RegExp(`The OS keychain did not answer within ${seconds} s when Berth tried to read the ${name} credentials\\. Unlock it`);
      // Each process ends by itself (the test never kills one), although keytar's call is still stuck inside it.
      const helper = await finished(process.execPath, [helperBin, 'get'], env, new URL(rig.harbor.url).host);
      assert.notEqual(helper.code, 0);
      assert.match(helper.stdout, new RegExp(`^docker-credential-berth: ${notAnswering(5).source}`), 'the helper waits 5 s: docker is waiting for it');

      const check = await finished(process.execPath, [join(projectRoot, 'bin', 'berth.js'), 'check', name], env);
      assert.notEqual(check.code, 0);
      assert.match(check.stderr, notAnswering(10));
      assert.doesNotMatch(check.stderr, /No credentials/);

      const refresh = await finished(process.execPath, [join(projectRoot, 'bin', 'berth.js'), 'refresh', name, '--json'], env);
      assert.notEqual(refresh.code, 0);
      const [view] = JSON.parse(refresh.stdout) as { state: string; lastError: string }[];
      assert.equal(view?.state, 'keychain-locked', 'not "needs-sign-in": nothing expired');
      assert.match(view?.lastError ?? '', notAnswering(10));
      assert.equal(storedStatus(ws, name).state, 'keychain-locked');
      assert.equal(readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8'), config, 'docker credentials untouched');
      assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, "docker's own copy still works");
    } finally {
      service.release();
      await bus.stop();
    }
  });

  test('the keyring daemon stopped (a session bus with no Secret Service): the helper, check and refresh answer at once with a keychain message, and docker keeps working', async () => {
    const ws = workspace();
    const name = 'stopped';
    await signedInAs(rig, ws, name, 'alice');
    const config = readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8');
    const bus = await busWithoutKeyring();
    try {
      ws.env.DBUS_SESSION_BUS_ADDRESS = bus.address;
      const noService = /No Secret Service \(org\.freedesktop\.secrets\) is running on the session bus: start gnome-keyring, or KeePassXC with its Secret Service on\. .*`berth config secret-store file`.*Berth could not read the stopped credentials\./;
      // The message, not "did not answer within 10 s", shows the missing service was noticed rather than waited for.
      const prompt = 30;
      const helper = await timed(() => run(process.execPath, [helperBin, 'get'], ws.env, new URL(rig.harbor.url).host));
      assert.equal(helper.result.code, 1);
      assert.match(helper.result.stdout, new RegExp(`^docker-credential-berth: ${noService.source}`));
      assert.ok(helper.seconds < prompt, `the helper answered after ${helper.seconds} s`);

      const check = await timed(() => ws.berth('check', name));
      assert.equal(check.result.code, 1);
      assert.match(check.result.stderr, noService);
      assert.doesNotMatch(check.result.stderr, /No credentials/);
      assert.ok(check.seconds < prompt, `check answered after ${check.seconds} s`);

      const refresh = await timed(() => ws.berth('refresh', name, '--json'));
      assert.equal(refresh.result.code, 1);
      const [view] = JSON.parse(refresh.result.stdout) as { state: string; lastError: string }[];
      assert.equal(view?.state, 'keychain-locked', 'not "needs-sign-in": nothing expired');
      assert.match(view?.lastError ?? '', noService);
      assert.ok(refresh.seconds < prompt, `refresh answered after ${refresh.seconds} s`);
      assert.equal(readFileSync(join(ws.dockerConfig, 'config.json'), 'utf8'), config, 'docker credentials untouched');
      assert.equal((await dockerInspect(ws, rig.imageRef)).code, 0, "docker's own copy still works");
    } finally {
      await bus.stop();
    }
  });

  test('signing out deletes only the home’s own entries: an entry named the way Berth named them before may be another home’s, and stays for it', async () => {
    const first = workspace();
    const second = workspace();
    await signedInAs(rig, first, 'shared', 'carl');
    await signedInAs(rig, second, 'shared', 'dina');
    // The second home's secret as an older Berth stored it: not yet taken over by the home it belongs to.
    const dinas = rig.harbor.user('dina')?.secret as string;
    await keytar.setPassword(keychainService, 'shared/cli-secret', dinas);
    await keytar.deletePassword(keychainService, secretAccount(second.berthHome, 'shared', 'cli-secret'));
    assert.equal((await first.berth('logout', 'shared')).code, 0);
    assert.equal(await storedSecret(first, 'shared', 'cli-secret'), null);
    assert.equal(await keytar.getPassword(keychainService, 'shared/cli-secret'), dinas, 'the other home’s old entry survived the first home’s sign-out');
    const helper = await run(process.execPath, [helperBin, 'get'], second.env, new URL(rig.harbor.url).host);
    assert.equal(helper.code, 0, helper.stdout);
    assert.equal((JSON.parse(helper.stdout) as { Secret: string }).Secret, dinas, 'and the home it belongs to still finds it');
  });

  test('two Berth homes with a registry of the same name keep their own secrets; entries from before are taken over by the home that reads them', async () => {
    const first = workspace();
    const second = workspace();
    await signedInAs(rig, first, 'work', 'carl');
    await signedInAs(rig, second, 'work', 'dina');
    assert.equal(await storedSecret(first, 'work', 'cli-secret'), rig.harbor.user('carl')?.secret);
    assert.equal(await storedSecret(second, 'work', 'cli-secret'), rig.harbor.user('dina')?.secret);

    assert.equal((await first.berth('logout', 'work')).code, 0);
    assert.equal(await storedSecret(first, 'work', 'cli-secret'), null);
    assert.equal(await storedSecret(second, 'work', 'cli-secret'), rig.harbor.user('dina')?.secret, 'the other home kept its secret');
    const check = await second.berth('check', rig.imageRef);
    assert.equal(check.code, 0, check.stderr);

    // An entry named the way Berth named them before (registry/kind) moves to the home that reads it first.
    await keytar.setPassword(keychainService, 'work/cli-secret', rig.harbor.user('dina')?.secret as string);
    await keytar.deletePassword(keychainService, `${(await import('../../main/secrets/keychain.js')).secretAccount(second.berthHome, 'work', 'cli-secret')}`);
    const helper = await run(process.execPath, [helperBin, 'get'], second.env, new URL(rig.harbor.url).host);
    assert.equal(helper.code, 0, helper.stdout);
    assert.equal((JSON.parse(helper.stdout) as { Secret: string }).Secret, rig.harbor.user('dina')?.secret);
    assert.equal(await keytar.getPassword(keychainService, 'work/cli-secret'), null, 'the old entry is gone');
    assert.equal(await storedSecret(second, 'work', 'cli-secret'), rig.harbor.user('dina')?.secret);
  });
});
