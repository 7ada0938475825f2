import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { runDoctor, type DoctorFinding } from '../../main/doctor/doctor.js';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { busWithoutKeyring } from '../helpers/session-bus.js';
import { TestCa } from '../helpers/tls-certs.js';
import { assertNoSecretsLeaked, cliLogin, helperOnPath, signedIn, storedStatus, uniqueName, workspace } from '../helpers/berth.js';
import { secretsFile } from '../../main/settings/paths.js';

describe('berth doctor', { skip: unless('docker-registry', 'openssl', 'keyring') }, () => {
  const rig = useRig({}, 'alice');

  test('a healthy machine passes every check; each broken part gets its own line and fix, and nothing is changed', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const healthyPath = ws.env.PATH;
    helperOnPath(ws);
    assert.equal((await ws.berth('target', name, 'helper')).code, 0);

    const healthy = await ws.berth('doctor', '--json');
    const report = JSON.parse(healthy.stdout) as { ok: boolean; findings: DoctorFinding[] };
    assert.equal(healthy.code, 0, healthy.stdout);
    assert.equal(report.ok, true);
    assert.deepEqual([...new Set(report.findings.map((finding) => finding.area))], ['settings', 'keychain', 'docker-config', 'credential-helper', 'network', 'clock']);
    assert.match(report.findings.map((finding) => finding.message).join('\n'), /identity provider at 127\.0\.0\.1:\d+ answers[\s\S]*Harbor at 127\.0\.0\.1:\d+ answers/);

    const configPath = join(ws.dockerConfig, 'config.json');
    const broken = '{"auths": {"harbor.example.org": {"auth": "x"}';
    writeFileSync(configPath, broken);
    const bus = await busWithoutKeyring();
    await rig().idp.pause();
    try {
      ws.env.PATH = healthyPath;
      ws.env.DBUS_SESSION_BUS_ADDRESS = bus.address;
      const result = await ws.berth('doctor');
      assert.equal(result.code, 1, result.stdout);
      const lines = result.stdout.split('\n');
      const problems = lines.flatMap((line, i) => (line.startsWith('PROBLEM') ? [{ line, fix: lines[i + 1] ?? '' }] : []));
      const expected: [RegExp, RegExp][] = [
        [/keychain: Cannot use the OS keychain: .*org\.freedesktop\.secrets/, /fix: Start and unlock a Secret Service keyring/],
        [new RegExp(`docker-config: ${configPath}:1:\\d+: not valid JSON`), /fix: Fix the JSON .*`berth refresh`/],
        [/credential-helper: docker-credential-berth is not on PATH, but docker is told to ask it/, /fix: Put docker-credential-berth on PATH .*`berth target/],
        // A refused port is no network trouble: the fix says what it means, not "check the network, VPN or proxy".
        [/network: .*cannot reach the identity provider at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)\.$/, /fix: Nothing accepts connections on that port: the server is down or listens elsewhere\. If the identity provider moved to another address, `berth remove .*` and add it again with the new URL\.$/],
      ];
      assert.equal(problems.length, expected.length, result.stdout);
      for (const [i, [line, fix]] of expected.entries()) {
        assert.match(problems[i]?.line ?? '', line);
        assert.match(problems[i]?.fix ?? '', fix);
      }
      assert.match(result.stdout, /ok {7}network: .*Harbor at .* answers/, 'Harbor itself is fine');
      assert.equal(readFileSync(configPath, 'utf8'), broken, 'the doctor changes nothing');
    } finally {
      await rig().idp.resume();
      await bus.stop();
    }
    assertNoSecretsLeaked(rig(), ws);
  });

  test("a registry that signs in through Harbor's web login is checked like any other", async () => {
    const ws = workspace();
    const name = uniqueName('web');
    assert.equal((await ws.berth('add', 'harbor', name, '--url', rig().harbor.url)).code, 0);
    const secret = rig().harbor.user('alice')?.secret as string;
    assert.equal((await ws.berthWithInput(secret, 'login', name, '--username', 'alice', '--secret-stdin')).code, 0);
    const result = await ws.berth('doctor', '--json');
    const report = JSON.parse(result.stdout) as { ok: boolean; findings: DoctorFinding[] };
    assert.equal(result.code, 0, result.stdout);
    const network = report.findings.filter((finding) => finding.area === 'network').map((finding) => finding.message);
    assert.equal(network.length, 2, network.join('\n'));
    assert.match(network.join('\n'), /the identity provider at 127\.0\.0\.1:\d+ answers[\s\S]*the Harbor at 127\.0\.0\.1:\d+ answers/);

    // Added while the provider's discovery document could not be found: Berth knows no issuer, and asks only Harbor.
    const settingsPath = join(ws.berthHome, 'settings.json');
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as { registries: Record<string, unknown>[] };
    delete settings.registries[0]?.issuer;
    writeFileSync(settingsPath, JSON.stringify(settings));
    const withoutIssuer = await ws.berth('doctor', '--json');
    assert.equal(withoutIssuer.code, 0, withoutIssuer.stdout);
    const messages = (JSON.parse(withoutIssuer.stdout) as { findings: DoctorFinding[] }).findings.filter((finding) => finding.area === 'network').map((finding) => finding.message);
    assert.deepEqual(messages.map((message) => /the (\w+(?: \w+)?) at/.exec(message)?.[1]), ['Harbor']);
    assertNoSecretsLeaked(rig(), ws);
  });

  test("a clock two minutes off the servers' Date is a problem with its fix", async () => {
    const { ws } = await signedIn(rig(), 'alice');
    const findings = await runDoctor({ env: ws.env, now: () => Date.now() + 120_000 });
    const clock = findings.find((finding) => finding.area === 'clock');
    assert.equal(clock?.ok, false);
    assert.match(clock?.message ?? '', /clock is 1[12]\d s ahead of 127\.0\.0\.1:\d+/);
    assert.match(clock?.remedy ?? '', /timedatectl set-ntp true/);
  });

  test('a credential store docker is told to use but cannot find is a problem naming it; berth login then fails naming it and stores nothing in docker', async () => {
    const ws = workspace();
    const name = uniqueName('store');
    mkdirSync(ws.dockerConfig, { recursive: true });
    const configPath = join(ws.dockerConfig, 'config.json');
    writeFileSync(configPath, JSON.stringify({ credsStore: 'desktop' }));
    assert.equal((await ws.berth('add', 'harbor', name, '--url', rig().harbor.url)).code, 0);
    const doctor = await ws.berth('doctor', '--json');
    assert.equal(doctor.code, 1, doctor.stdout);
    const finding = (JSON.parse(doctor.stdout) as { findings: DoctorFinding[] }).findings.find((candidate) => candidate.area === 'credential-helper' && !candidate.ok);
    assert.equal(finding?.message, `${configPath} names the credential helper "desktop", but docker-credential-desktop is not on PATH: docker cannot get credentials through it.`);
    assert.equal(finding?.remedy, `Install docker-credential-desktop, or remove "desktop" from "credsStore"/"credHelpers" in ${configPath}.`);

    const login = await ws.berthWithInput(rig().harbor.user('alice')?.secret as string, 'login', name, '--username', 'alice', '--secret-stdin');
    assert.equal(login.code, 1, login.stdout);
    assert.match(login.stderr, new RegExp(`Cannot store the ${name} credentials with the docker credential helper "desktop": docker-credential-desktop is not on PATH\\. Install it or change "credsStore"/"credHelpers" in docker's config\\.json\\.`));
    assert.deepEqual(JSON.parse(readFileSync(configPath, 'utf8')), { credsStore: 'desktop' }, "docker's config unchanged");
    assert.notEqual(storedStatus(ws, name).state, 'valid');
  });

  test('the file store readable by others is a problem whose fix is the chmod', async () => {
    const ws = workspace();
    ws.env.BERTH_SECRET_STORE = 'file';
    const name = uniqueName('file');
    assert.equal((await ws.berth('add', 'harbor', name, '--url', rig().harbor.url)).code, 0);
    assert.equal((await ws.berthWithInput(rig().harbor.user('alice')?.secret as string, 'login', name, '--username', 'alice', '--secret-stdin')).code, 0);
    const store = secretsFile(ws.berthHome);
    assert.equal((await ws.berth('doctor')).code, 0, 'a 0600 file in a 0700 folder is fine');
    chmodSync(store, 0o644);
    const doctor = await ws.berth('doctor', '--json');
    assert.equal(doctor.code, 1, doctor.stdout);
    const finding = (JSON.parse(doctor.stdout) as { findings: DoctorFinding[] }).findings.find((candidate) => candidate.area === 'keychain');
    assert.equal(finding?.ok, false);
    assert.equal(finding?.message, `${store} (mode 644, its folder 700) can be read by others than you.`);
    assert.equal(finding?.remedy, `Run \`chmod 700 ${dirname(store)} && chmod 600 ${store}\`; Berth writes it 0600 in a 0700 folder.`);
  });

  test('a CA file that went missing is a settings problem whose fix names berth set, not the network', async () => {
    const ws = workspace();
    const name = uniqueName('ca');
    const caFile = join(ws.home, 'company-ca.pem');
    copyFileSync(new TestCa().ca.cert, caFile);
    assert.equal((await ws.berth('add', 'harbor', name, '--url', rig().harbor.url)).code, 0);
    assert.equal((await ws.berth('set', name, '--ca-file', caFile)).code, 0);
    rmSync(caFile);

    const doctor = await ws.berth('doctor');
    assert.equal(doctor.code, 1, doctor.stdout);
    const lines = doctor.stdout.split('\n');
    const at = lines.findIndex((line) => line.startsWith('PROBLEM'));
    assert.equal(lines[at], `PROBLEM  settings: The CA file ${caFile} for ${name} does not exist.`, doctor.stdout);
    assert.match(lines[at + 1] ?? '', new RegExp(`fix: Put the CA's certificate \\(PEM\\) back at ${caFile}, or point Berth at it with \`berth set ${name} --ca-file <ca\\.pem>\``));
    assert.doesNotMatch(doctor.stdout, /VPN|network: /, 'no network finding repeats the CA file');
    assert.equal(lines.filter((line) => line.startsWith('PROBLEM')).length, 1, doctor.stdout);

    assert.equal((await ws.berth('set', name, '--ca-file', '')).code, 0);
    const fixed = await ws.berth('doctor');
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.match(fixed.stdout, /ok {7}network: .*Harbor at 127\.0\.0\.1:\d+ answers/);
  });
});

describe('berth doctor names every registry whose last sign-in or pass failed, with the reason Berth stored', { skip: unless('docker-registry', 'openssl', 'keyring') }, () => {
  const rig = useRig({ audienceMapper: false }, 'alice');

  test('a first sign-in refused for its audience leaves the registry signed out, and doctor says why instead of "No problems found"', async () => {
    const ws = workspace();
    const name = uniqueName('aud');
    assert.equal((await ws.berth('add', 'harbor', name, '--url', rig().harbor.url, '--client-id', rig().berthClientId)).code, 0);
    const login = await cliLogin(ws, name, 'alice');
    assert.equal(login.code, 1, login.stderr);
    const doctor = await ws.berth('doctor');
    assert.equal(doctor.code, 1, doctor.stdout);
    assert.match(doctor.stdout, new RegExp(`PROBLEM {2}registry: ${name} is signed out; its last sign-in failed: Harbor at 127\\.0\\.0\\.1:\\d+ did not accept the ID token for ${name}: .*audience`));
    assert.match(doctor.stdout, new RegExp(`fix: Fix what the message says, then run \`berth login ${name}\` again\\.`));
    assert.doesNotMatch(doctor.stdout, /No problems found/);
  });

  test('an offline registry is named with its reason and what Berth does about it', async () => {
    const web = workspace();
    const name = uniqueName('off');
    assert.equal((await web.berth('add', 'harbor', name, '--url', rig().harbor.url)).code, 0);
    assert.equal((await web.berthWithInput(rig().harbor.user('alice')?.secret as string, 'login', name, '--username', 'alice', '--secret-stdin')).code, 0);
    await rig().harbor.pause();
    try {
      assert.equal((await web.berth('refresh', name)).code, 1);
      const doctor = await web.berth('doctor', '--json');
      const report = JSON.parse(doctor.stdout) as { ok: boolean; findings: DoctorFinding[] };
      const finding = report.findings.find((candidate) => candidate.area === 'registry');
      assert.match(finding?.message ?? '', new RegExp(`^${name} is offline: Cannot reach 127\\.0\\.0\\.1:\\d+`));
      assert.match(finding?.remedy ?? '', /^Berth retries by itself, backing off up to an hour/);
    } finally {
      await rig().harbor.resume();
    }
  });
});
