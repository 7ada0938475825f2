import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CookieJar, drive } from '../rig/browser-driver.js';
import { unless } from '../rig/components.js';
import { adminPassword, sessionCookie } from '../rig/harbor-double.js';
import { startRig, type Rig } from '../rig/index.js';

/** The value of one cookie the browser holds for Harbor. */
function cookie(jar: CookieJar, url: string, name: string): string | undefined {
  return jar
    .header(new URL(url))
    .split('; ')
    .map((pair) => pair.split('='))
    .find(([key]) => key === name)?.[1];
}

// What Berth's web sign-in relies on, held to Harbor's source: the double must behave like this, or the other tests prove nothing.
describe("the Harbor double's web sessions and CSRF follow Harbor's source", { skip: unless('docker-registry', 'openssl') }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig?.stop());

  /** A person's browser after Harbor's web login, with the session id Harbor gave before the login. */
  async function loggedIn(user: string): Promise<{ jar: CookieJar; before: string | undefined; userId: number }> {
    const jar = new CookieJar();
    const start = await fetch(`${rig.harbor.url}/c/oidc/login`, { redirect: 'manual' });
    jar.store(new URL(rig.harbor.url), start.headers.getSetCookie());
    assert.equal(start.status, 302);
    assert.ok(start.headers.get('x-harbor-csrf-token'), 'every answer outside the skipped paths carries a CSRF token');
    const before = cookie(jar, rig.harbor.url, sessionCookie);
    const landed = await drive(start.headers.get('location') as string, { login: user, jar });
    assert.equal(new URL(landed.url).pathname, '/', "Harbor's callback lands on /");
    return { jar, before, userId: rig.harbor.user(user)?.userId as number };
  }

  const api = (path: string) => `${rig.harbor.url}/api/v2.0/${path}`;

  test('the callback gives the session a new id (PopulateUserSession), and users/current answers for it with the CLI secret', async () => {
    const { jar, before } = await loggedIn('sam');
    const after = cookie(jar, rig.harbor.url, sessionCookie);
    assert.ok(before && after && before !== after, 'a new session id after the login');
    const current = await fetch(api('users/current'), { headers: { cookie: jar.header(new URL(rig.harbor.url)) } });
    assert.equal(current.status, 200);
    const body = (await current.json()) as { username: string; oidc_user_meta: { secret: string } };
    assert.equal(body.username, 'sam');
    assert.equal(body.oidc_user_meta.secret, rig.harbor.user('sam')?.secret);
    const stale = await fetch(api('users/current'), { headers: { cookie: `${sessionCookie}=${before}` } });
    assert.equal(stale.status, 401, 'the pre-login session id is gone');
  });

  test('a change that carries the session cookie needs the CSRF token Harbor sent with that cookie', async () => {
    const { jar, userId } = await loggedIn('ria');
    const cookies = () => jar.header(new URL(rig.harbor.url));
    const put = (headers: Record<string, string>, secret: string) =>
      fetch(api(`users/${userId}/cli_secret`), { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ secret }) });

    const missing = await put({ cookie: cookies() }, 'Missing1Token');
    assert.equal(missing.status, 403);
    assert.deepEqual(await missing.json(), { errors: [{ code: 'FORBIDDEN', message: 'CSRF token not found in request' }] });
    const wrong = await put({ cookie: cookies(), 'x-harbor-csrf-token': Buffer.alloc(64, 7).toString('base64') }, 'Wrong1Token');
    assert.equal(wrong.status, 403);
    assert.deepEqual(await wrong.json(), { errors: [{ code: 'FORBIDDEN', message: 'CSRF token invalid' }] });

    const read = await fetch(api('users/current'), { headers: { cookie: cookies() } });
    const token = read.headers.get('x-harbor-csrf-token') as string;
    assert.ok(token);
    // The token goes with the cookie it was made for: without that cookie it is refused.
    const withoutCookie = await put({ cookie: `${sessionCookie}=${cookie(jar, rig.harbor.url, sessionCookie)}`, 'x-harbor-csrf-token': token }, 'Lone1Token');
    assert.equal(withoutCookie.status, 403);
    const accepted = await put({ cookie: cookies(), 'x-harbor-csrf-token': token }, 'Accepted1Token');
    assert.equal(accepted.status, 200);
    assert.equal(rig.harbor.user('ria')?.secret, 'Accepted1Token');

    // Without the session cookie, /api/ calls skip the check: basic auth (and ID tokens) need no token.
    const basic = await put({ authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` }, 'Basic1Change');
    assert.equal(basic.status, 200);
    assert.equal(basic.headers.get('x-harbor-csrf-token'), null, 'no token on skipped requests');
  });

  test('a web session idles out after session_timeout, and every request renews it', async () => {
    const { jar } = await loggedIn('ted');
    let now = Date.now();
    rig.harbor.sessionClock = () => now;
    rig.harbor.sessionTimeoutMs = 60 * 60_000;
    try {
      const current = () => fetch(api('users/current'), { headers: { cookie: jar.header(new URL(rig.harbor.url)) } }).then((response) => response.status);
      assert.equal(await current(), 200);
      now += 59 * 60_000;
      assert.equal(await current(), 200, 'still alive just before the timeout, and renewed by this request');
      now += 59 * 60_000;
      assert.equal(await current(), 200, 'alive 118 minutes after the login: the last request renewed it');
      now += 60 * 60_000;
      assert.equal(await current(), 401, 'idle for session_timeout: gone');
      now += 1;
      assert.equal(await current(), 401);
    } finally {
      rig.harbor.sessionClock = Date.now;
    }
  });
});
