import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { pushImage, startRegistry, type RunningRegistry } from '../rig/registry.js';
import { assertNoSecretsLeaked, dockerInspect, storedSecret, uniqueName, workspace } from '../helpers/berth.js';
import type { Rig } from '../rig/index.js';

/** An htpasswd line with a bcrypt hash (distribution accepts no other), made by Python's crypt with libxcrypt's $2b$. */
function htpasswdLine(user: string, password: string): string {
  const hash = execFileSync('python3', ['-c', 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', password], { encoding: 'utf8' }).trim();
  return `${user}:${hash}\n`;
}

/** A registry that asks for basic authentication on `/v2/` (no token service): Berth checks a token with `/v2/` itself. */
describe('token registries behind basic authentication (distribution with htpasswd)', { skip: unless('docker-registry', 'docker', 'keyring') }, () => {
  const password = randomBytes(18).toString('base64url');
  let registry: RunningRegistry & { dir: string };
  before(async () => {
    registry = await startRegistry({ htpasswd: htpasswdLine('deploy', password) });
    await pushImage(registry.url, async () => Buffer.from(`deploy:${password}`).toString('base64'), 'tools/hello', '1.0', 'Basic');
  });
  after(() => registry?.stop());

  test('a wrong token stores nothing; the right one lets docker read the image; a removed user is rejected on the next check', async () => {
    const ws = workspace();
    const name = uniqueName('basic');
    const leaks = { secrets: () => new Set([password]) } as unknown as Rig;
    const wrong = await ws.berthWithInput('wrong-password', 'add', 'token', name, '--url', registry.url, '--username', 'deploy', '--secret-stdin');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /rejected the token for "deploy"; nothing was stored/);
    assert.equal(await storedSecret(ws, name, 'token'), null);
    assert.equal(existsSync(join(ws.dockerConfig, 'config.json')), false);

    const added = await ws.berthWithInput(password, 'add', 'token', name, '--url', registry.url, '--username', 'deploy', '--secret-stdin', '--expires-in', '90d', '--json');
    assert.equal(added.code, 0, added.stderr);
    assert.equal((JSON.parse(added.stdout) as { state: string }).state, 'valid');
    const image = `${new URL(registry.url).host}/tools/hello:1.0`;
    const read = await dockerInspect(ws, image);
    assert.equal(read.code, 0, read.stderr);

    // distribution re-reads its htpasswd file when it changes: the user is gone.
    writeFileSync(join(registry.dir, 'htpasswd'), htpasswdLine('someone-else', randomBytes(12).toString('hex')));
    const refresh = await ws.berth('refresh', name, '--json');
    const shown = (JSON.parse(refresh.stdout) as { state: string; lastError: string }[])[0];
    assert.equal(shown?.state, 'rejected', refresh.stdout);
    assert.match(shown?.lastError ?? '', /no longer accepts the token of deploy: it expired or was revoked\. Tokens are made on the registry's web page/);
    assertNoSecretsLeaked(leaks, ws);
  });
});
