import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { startHostile, type HostileServer } from '../rig/hostile.js';
import { useRig } from '../helpers/rig.js';
import { assertNoSecretsLeaked, signedIn, storedStatus, workspace, type Workspace } from '../helpers/berth.js';

// What a hostile server puts in its words: an escape sequence, a carriage return and a new line that would forge a line of Berth's own.
const forged = '\u001b[2J\u001b[31mboom\u001b[0m\r\nberth: all registries valid\tok';
const controls = /\p{Cc}/u;

/** Berth's own files that keep text (status.json's lastError, the activity list, the log) hold no control character from a server. */
function assertFilesClean(ws: Workspace): void {
  for (const file of ['status.json', 'activity.json', 'berth.log']) {
    const path = join(ws.berthHome, file);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes('\u001b') && !text.includes('\\u001b'), `no escape sequence in ${file}`);
    assert.ok(!text.includes('\\r\\n') && !/\r/.test(text), `no carriage return or forged line in ${file}`);
  }
}

/** What a terminal shows: no escape or carriage return, and the forged line is not a line of its own. */
function assertPrintedClean(output: string): void {
  assert.ok(!output.includes('\u001b') && !output.includes('\r'), `no control characters printed: ${JSON.stringify(output)}`);
  assert.doesNotMatch(output, /^berth: all registries valid/m, 'the server could not forge a line');
}

describe('text from servers reaches no terminal, file or window with its control characters', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  const rig = useRig({}, 'hank', 'ivy');
  const servers: HostileServer[] = [];
  after(() => Promise.all(servers.map((server) => server.stop())));

  test('Harbor’s error detail: regenerate refused with escapes and new lines in the message', async () => {
    const { ws, name } = await signedIn(rig(), 'hank');
    rig().harbor.failCliSecretWith = { status: 400, message: forged };
    try {
      const regenerate = await ws.berth('regenerate', name, '--yes');
      assert.equal(regenerate.code, 1);
      assert.match(regenerate.stderr, /answered the new CLI secret with HTTP 400: \?\[2J\?\[31mboom\?\[0m\?\?berth: all registries valid\?ok\./);
      assertPrintedClean(regenerate.stderr);
    } finally {
      rig().harbor.failCliSecretWith = undefined;
    }
    const lastError = String(storedStatus(ws, name).lastError ?? '');
    assert.ok(lastError.includes('boom') && !controls.test(lastError), `lastError kept clean: ${JSON.stringify(lastError)}`);
    assertPrintedClean((await ws.berth('status', name)).stdout);
    assertFilesClean(ws);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a registry’s reason: a token service refusing with escapes and new lines in its error body', async () => {
    let base = '';
    const registry = await startHostile((req, res, url) => {
      req.resume();
      if (url.pathname === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${base}/token",service="hostile"` }).end();
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: forged }] }));
    });
    servers.push(registry);
    base = registry.url;
    const ws = workspace();
    const host = new URL(registry.url).host;
    mkdirSync(ws.dockerConfig, { recursive: true });
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ auths: { [host]: { auth: Buffer.from('someone:Some1Password').toString('base64') } } }));
    const check = await ws.berth('check', `${host}/demo/app:1`);
    assert.equal(check.code, 1);
    assert.match(check.stderr, /rejected the credentials of someone \(from .*\): UNAUTHORIZED: \?\[2J\?\[31mboom/);
    assertPrintedClean(check.stderr);
    const json = await ws.berth('check', `${host}/demo/app:1`, '--json');
    assert.ok(!controls.test((JSON.parse(json.stdout) as { message: string }).message), 'the JSON message is clean too');
    assertFilesClean(ws);
  });

  test('the identity provider’s error description: a refresh refused with escapes and new lines', async () => {
    const { ws, name } = await signedIn(rig(), 'ivy');
    rig().idp.refreshErrors.set(rig().berthClientId, { error: 'invalid_grant', description: forged });
    try {
      const refresh = await ws.berth('refresh', name);
      assertPrintedClean(refresh.stdout + refresh.stderr);
    } finally {
      rig().idp.refreshErrors.delete(rig().berthClientId);
    }
    const lastError = String(storedStatus(ws, name).lastError ?? '');
    assert.match(lastError, /The identity provider ended Berth's session for .* \(invalid_grant: \?\[2J\?\[31mboom/);
    assert.ok(!controls.test(lastError), `lastError kept clean: ${JSON.stringify(lastError)}`);
    assertFilesClean(ws);
    assertNoSecretsLeaked(rig(), ws);
  });
});
