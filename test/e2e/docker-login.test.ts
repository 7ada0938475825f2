import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { adminPassword } from '../rig/harbor-double.js';
import { useRig } from '../helpers/rig.js';
import { assertNoSecretsLeaked, dockerConfigJson, dockerInspect, helperOnPath, run, skopeoInspect, workspace } from '../helpers/berth.js';

describe('docker login and logout through docker-credential-berth', { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring') }, () => {
  const rig = useRig({});

  test('docker login stores a token registry through "store"; docker and skopeo read it through "get"; docker logout erases it', async () => {
    const ws = workspace();
    helperOnPath(ws);
    // The same registry under another name is another registry to docker: "localhost:<port>" is not Berth-managed.
    const host = `localhost:${new URL(rig().harbor.url).port}`;
    const image = `${host}/demo/hello:1.0`;
    mkdirSync(ws.dockerConfig, { recursive: true });
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { [host]: 'berth' } }));

    const login = await run('docker', ['login', host, '--username', 'admin', '--password-stdin'], ws.env, adminPassword);
    assert.equal(login.code, 0, login.stderr);
    ws.outputs.push(login.stdout, login.stderr);
    assert.ok(!JSON.stringify(dockerConfigJson(ws)).includes(adminPassword), 'config.json holds no password');

    const listed = await ws.berth('list', '--json');
    const registries = JSON.parse(listed.stdout) as { name: string; kind: string; registry: string; username: string; state: string; target: string }[];
    assert.deepEqual(
      registries.map(({ name, kind, registry, username, state, target }) => ({ name, kind, registry, username, state, target })),
      [{ name: `localhost-${new URL(rig().harbor.url).port}`, kind: 'token', registry: host, username: 'admin', state: 'valid', target: 'helper' }],
    );
    // The same kind as `berth add token`: checked daily and replaced; its end is unknown until the person says it.
    const name = `localhost-${new URL(rig().harbor.url).port}`;
    const kept = JSON.parse((await ws.berth('status', name, '--json')).stdout) as { method: string; expiresAt: string | null; expirySource: string | null }[];
    assert.deepEqual(kept.map(({ method, expiresAt, expirySource }) => ({ method, expiresAt, expirySource })), [{ method: 'token', expiresAt: null, expirySource: null }]);
    const set = await ws.berth('set', name, '--expires', '2031-01-31', '--json');
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual((({ expirySource, state }) => ({ expirySource, state }))(JSON.parse(set.stdout) as { expirySource: string; state: string }), { expirySource: 'given', state: 'valid' });
    assert.match((await ws.berth('status', name)).stdout, /token expires 2031-01-31 23:59 \(in \d+ days\), as you said/, 'the end of that day where the person is');
    const helperList = await run('docker-credential-berth', ['list'], ws.env);
    assert.deepEqual(JSON.parse(helperList.stdout), { [host]: 'admin' });

    for (const read of [dockerInspect, skopeoInspect]) {
      const result = await read(ws, image);
      assert.equal(result.code, 0, `reads through "get": ${result.stderr}`);
    }
    const checked = await ws.berth('check', image, '--json');
    assert.equal(checked.code, 0, checked.stdout);
    assert.match((JSON.parse(checked.stdout) as { credentialSource: string }).credentialSource, /^berth:localhost-/, 'check uses the token Berth keeps');

    const again = await run('docker', ['login', host, '--username', 'admin', '--password-stdin'], ws.env, adminPassword);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse((await ws.berth('list', '--json')).stdout) as unknown[]).length, 1, 'a second login replaces the first');

    const logout = await run('docker', ['logout', host], ws.env);
    assert.equal(logout.code, 0, logout.stderr);
    assert.doesNotMatch(logout.stderr, /WARNING/, 'erase succeeded');
    assert.deepEqual(JSON.parse((await ws.berth('list', '--json')).stdout), []);
    assert.deepEqual(JSON.parse((await run('docker-credential-berth', ['list'], ws.env)).stdout), {});
    const gone = await run('docker-credential-berth', ['get'], ws.env, host);
    assert.deepEqual([gone.code, gone.stdout.trim()], [1, 'credentials not found in native keychain']);
    assert.notEqual((await dockerInspect(ws, image)).code, 0, 'docker has no credentials any more');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('the helper refuses docker login for a host Berth signs in to, and says why on stdout, where docker shows it', async () => {
    const ws = workspace();
    helperOnPath(ws);
    const added = await ws.berth('add', 'harbor', 'corp', '--url', rig().harbor.url, '--issuer', rig().idp.issuer, '--client-id', rig().berthClientId);
    assert.equal(added.code, 0, added.stderr);
    const store = await run('docker-credential-berth', ['store'], ws.env, JSON.stringify({ ServerURL: new URL(rig().harbor.url).host, Username: 'admin', Secret: adminPassword }));
    assert.equal(store.code, 1);
    assert.match(store.stdout, /signed in through Berth as "corp".*berth login corp/);
    const malformed = await run('docker-credential-berth', ['store'], ws.env, 'not json');
    assert.equal(malformed.code, 1);
    assert.match(malformed.stdout, /store expects \{"ServerURL","Username","Secret"\} as JSON on stdin/);
    assert.equal((await run('docker-credential-berth', ['nonsense'], ws.env)).code, 64);
  });
});
