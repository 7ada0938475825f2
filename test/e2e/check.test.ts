import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { unless } from '../rig/components.js';
import { useRig } from '../helpers/rig.js';
import { createNodeApi } from '../../main/api/node.js';
import { assertNoSecretsLeaked, berthBin, dockerInspect, helperOnPath, modulesLoaded, run, signedIn, skopeoInspect, workspace, type Workspace } from '../helpers/berth.js';

interface Verdict {
  code: number;
  verdict: string;
  message: string;
  digest: string | null;
  actionUrl: string | null;
}

async function check(ws: Workspace, ...args: string[]): Promise<Verdict> {
  const result = await ws.berth('check', ...args, '--json');
  const parsed = JSON.parse(result.stdout) as Omit<Verdict, 'code'>;
  return { code: result.code, ...parsed };
}

/** docker and skopeo, asked the same question with the same credentials, must agree with Berth on yes or no. */
async function assertDockerAndSkopeoAgree(ws: Workspace, ref: string, verdict: Verdict): Promise<void> {
  const [docker, skopeo] = await Promise.all([dockerInspect(ws, ref), skopeoInspect(ws, ref)]);
  const works = verdict.code === 0;
  assert.equal(docker.code === 0, works, `docker manifest inspect ${ref}: ${docker.stderr}`);
  assert.equal(skopeo.code === 0, works, `skopeo inspect ${ref}: ${skopeo.stderr}`);
}

describe('berth check: will docker pull work?', { skip: unless('docker-registry', 'docker', 'skopeo', 'openssl', 'keyring') }, () => {
  const rig = useRig({ projects: [{ name: 'demo', public: false, members: '*' }, { name: 'private', public: false, members: ['bob'] }] }, 'alice', 'dave', 'erin');
  let host: string;
  before(async () => {
    host = new URL(rig().harbor.url).host;
    await rig().push('private/hello', '1.0');
  });

  test('each case gets its own answer and exit status, and docker and skopeo agree', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const cases: [string, number, string, RegExp][] = [
      [rig().imageRef, 0, 'will-work', new RegExp(`docker pull ${host}/demo/hello:1.0 will work as alice: sha256:`)],
      [`${host}/demo/hello:9.9`, 2, 'not-found', /demo\/hello at .* has no tag 9\.9/],
      [`${host}/demo/nope:1.0`, 2, 'not-found', /has no repository demo\/nope/],
      [`${host}/private/hello:1.0`, 2, 'denied', /alice \(from berth:.*\) may not pull private\/hello .*granted no pull access/],
    ];
    for (const [ref, code, verdict, message] of cases) {
      const result = await check(ws, ref);
      assert.deepEqual([result.code, result.verdict], [code, verdict], `${ref}: ${result.message}`);
      assert.match(result.message, message);
      await assertDockerAndSkopeoAgree(ws, ref, result);
    }
    assert.equal((await check(ws, rig().imageRef)).digest, rig().image.digest);

    const login = await check(ws, host);
    assert.deepEqual([login.code, login.verdict], [0, 'login-ok'], login.message);
    assert.deepEqual([(await check(ws, name)).verdict], ['login-ok'], 'a Berth registry name works too');
    const plain = await ws.berth('check', rig().imageRef);
    assert.equal(plain.code, 0);
    assert.match(plain.stdout, /will work/);
    assert.equal((await ws.berth('check', `${host}/Demo/Hello`)).code, 64, 'a malformed reference is a usage error');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('a plain check is answered by berth\'s quick start (no ES module, crypto, TLS or fetch), exactly as the full API answers it', async () => {
    const { ws } = await signedIn(rig(), 'alice');
    for (const ref of [rig().imageRef, `${host}/private/hello:1.0`]) {
      const { run: quick, modules } = await modulesLoaded([berthBin, 'check', ref, '--json'], ws.env);
      const costly = modules.filter((module) => /^NativeModule (internal\/modules\/esm\/module_job|crypto|tls|https|internal\/deps\/undici\/undici)$/.test(module));
      assert.deepEqual(costly, [], `berth check ${ref} loaded ${costly.join(', ')}`);
      const full = await createNodeApi(ws.env).check(ref);
      assert.deepEqual(JSON.parse(quick.stdout), JSON.parse(JSON.stringify(full)), ref);
      assert.equal(quick.code, full.verdict === 'will-work' ? 0 : 2);
    }
  });

  test('a check keeps its compiled code in the user\'s cache folder for the next; a damaged cache is replaced, never fatal', async () => {
    const { ws } = await signedIn(rig(), 'alice');
    const env = { ...ws.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'berth-cache-')) };
    const folder = join(env.XDG_CACHE_HOME, 'berth', 'compile-cache', 'quick-starts');
    const checked = async () => {
      const result = await run(process.execPath, [berthBin, 'check', rig().imageRef], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /will work as alice/);
    };
    await checked();
    const kept = readdirSync(folder).filter((file) => file.startsWith('berth-'));
    assert.equal(kept.length, 1, kept.join(', '));
    const cache = join(folder, kept[0] as string);
    writeFileSync(cache, 'not a code cache');
    await checked();
    assert.notEqual(readFileSync(cache, 'utf8'), 'not a code cache', 'the damaged cache was replaced');
    await checked();
  });

  test('a check within a minute of a good one reuses its registry token; a new secret does not', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const sent = async () => {
      const before = rig().harbor.requestLog.length;
      const result = await check(ws, rig().imageRef);
      assert.equal(result.verdict, 'will-work', result.message);
      return rig().harbor.requestLog.slice(before);
    };
    assert.deepEqual(await sent(), ['GET /v2/', 'GET /service/token', 'HEAD /v2/demo/hello/manifests/1.0'], 'the first check learns the challenge');
    assert.deepEqual(await sent(), ['HEAD /v2/demo/hello/manifests/1.0'], 'the next one reuses the challenge and the token');
    assert.equal((await ws.berth('regenerate', name, '--yes')).code, 0);
    assert.deepEqual(await sent(), ['GET /service/token', 'HEAD /v2/demo/hello/manifests/1.0'], 'a token got with the old secret is not reused');
    assert.equal((await ws.berth('logout', name)).code, 0);
    const afterLogout = await check(ws, rig().imageRef);
    assert.equal(afterLogout.verdict, 'no-credentials', 'signing out forgets the tokens too');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('--insecure (plain http) is refused when credentials would go to another machine, and nothing is sent', async () => {
    const ws = workspace();
    mkdirSync(ws.dockerConfig, { recursive: true });
    writeFileSync(join(ws.dockerConfig, 'config.json'), JSON.stringify({ auths: { 'registry.example.org': { auth: Buffer.from('robot:not-a-secret').toString('base64') } } }));
    const refused = await ws.berth('check', 'registry.example.org/team/app:1', '--insecure');
    assert.equal(refused.code, 64, refused.stderr);
    assert.match(refused.stderr, /--insecure means plain http, which Berth allows only for registries on this machine \(localhost, 127\.0\.0\.0\/8, ::1\): it would send the credentials of robot for registry\.example\.org unencrypted/);
    const help = await ws.berth('check', '--help');
    assert.match(help.stdout, /--insecure +plain http, for local registries only/);
  });

  test('docker\'s config no longer leading to Berth\'s credential: the check answers with what docker sends, says why, and agrees with docker until `berth refresh`', async () => {
    const { ws, name } = await signedIn(rig(), 'alice');
    const ref = rig().imageRef;
    const docker = (...args: string[]) => run('docker', args, ws.env);
    const refreshed = async () => {
      assert.equal((await ws.berth('refresh', name)).code, 0);
      const result = await check(ws, ref);
      assert.equal(result.verdict, 'will-work', result.message);
      await assertDockerAndSkopeoAgree(ws, ref, result);
    };

    assert.equal((await docker('logout', host)).code, 0);
    const loggedOut = await check(ws, ref);
    assert.deepEqual([loggedOut.code, loggedOut.verdict], [1, 'no-credentials']);
    assert.equal(loggedOut.message, `No credentials for ${host}, and it allows no anonymous pull of demo/hello. docker's config.json has no credential for ${host}, although Berth keeps one for ${name} (a \`docker logout\`?): \`berth refresh ${name}\` writes it back.`);
    await assertDockerAndSkopeoAgree(ws, ref, loggedOut);
    await refreshed();

    // What a `docker login` with an older secret leaves (docker itself would refuse to save one the registry rejects now).
    const config = join(ws.dockerConfig, 'config.json');
    const written = JSON.parse(readFileSync(config, 'utf8')) as { auths: Record<string, { auth: string }> };
    written.auths[host] = { auth: Buffer.from('alice:an-older-secret').toString('base64') };
    writeFileSync(config, JSON.stringify(written));
    const stale = await check(ws, ref);
    assert.deepEqual([stale.code, stale.verdict], [1, 'rejected']);
    assert.match(stale.message, new RegExp(`rejected the credentials of alice \\(from config\\.json\\)\\. docker's config\\.json holds another credential for ${host.replace(/\./g, '\\.')} \\(of alice\\) than the one Berth keeps for ${name}: \`berth refresh ${name}\` writes it back\\.$`));
    assert.doesNotMatch(stale.message, /Harbor session behind this CLI secret has expired/, 'not the Harbor session: docker sends another secret');
    await assertDockerAndSkopeoAgree(ws, ref, stale);
    await refreshed();

    // docker told to ask docker-credential-berth, which it cannot find: docker gets nothing, and the check says so.
    assert.equal((await ws.berth('target', name, 'helper')).code, 0);
    const notOnPath = await check(ws, ref);
    assert.deepEqual([notOnPath.code, notOnPath.verdict], [1, 'no-credentials']);
    assert.match(notOnPath.message, new RegExp(`docker asks docker-credential-berth for .*, which is not on PATH: put it on PATH, or have docker's config hold the credential itself with \`berth target ${name} config\`\\.$`));
    assert.notEqual((await dockerInspect(ws, ref)).code, 0, 'docker cannot pull either');
    helperOnPath(ws);
    const throughHelper = await check(ws, ref);
    assert.equal(throughHelper.verdict, 'will-work', throughHelper.message);
    assert.equal((await dockerInspect(ws, ref)).code, 0);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('no credentials at all: exit 1, like docker and skopeo failing', async () => {
    const ws = workspace();
    const result = await check(ws, rig().imageRef);
    assert.deepEqual([result.code, result.verdict], [1, 'no-credentials'], result.message);
    assert.match(result.message, /No credentials for .* allows no anonymous pull of demo\/hello/);
    await assertDockerAndSkopeoAgree(ws, rig().imageRef, result);
  });

  test('a CLI secret whose Harbor session expired: rejected, with the web login that fixes it', async () => {
    const { ws } = await signedIn(rig(), 'dave');
    rig().harbor.expireSession('dave');
    const result = await check(ws, rig().imageRef);
    assert.deepEqual([result.code, result.verdict], [1, 'rejected'], result.message);
    assert.match(result.message, /rejected the credentials of dave .*The Harbor session behind this CLI secret has expired.*log in at http.*\/c\/oidc\/login/);
    assert.equal(result.actionUrl, `${rig().harbor.url}/c/oidc/login`);
    await assertDockerAndSkopeoAgree(ws, rig().imageRef, result);
    assertNoSecretsLeaked(rig(), ws);
  });

  test('once a pass has found the secret dead, a check asks the token service again, even within the minute a good answer is reused', async () => {
    const { ws, name } = await signedIn(rig(), 'erin');
    assert.equal((await check(ws, rig().imageRef)).verdict, 'will-work');
    rig().harbor.expireSession('erin');
    const refresh = await ws.berth('refresh', name, '--json');
    assert.equal((JSON.parse(refresh.stdout) as { state: string }[])[0]?.state, 'needs-web-login', refresh.stdout);
    const sent = rig().harbor.requestLog.length;
    const result = await check(ws, rig().imageRef);
    assert.deepEqual([result.code, result.verdict], [1, 'rejected'], `a dead secret never gets "will work": ${result.message}`);
    assert.ok(rig().harbor.requestLog.slice(sent).includes('GET /service/token'), 'the token service was asked');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('the registry stopped: exit 3, unreachable', async () => {
    const { ws } = await signedIn(rig(), 'alice');
    await rig().harbor.pause();
    try {
      const result = await check(ws, rig().imageRef);
      assert.deepEqual([result.code, result.verdict], [3, 'unreachable'], result.message);
      assert.match(result.message, /Cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      await assertDockerAndSkopeoAgree(ws, rig().imageRef, result);
    } finally {
      await rig().harbor.resume();
    }
  });
});
