import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerInspect, storedSecret, storedStatus, type Workspace, uniqueName, workspace } from '../helpers/berth.js';

interface Status {
  state: string;
  lastError: string | null;
  notice: string | null;
  sessionExpiresAt: string | null;
  sessionFixed: boolean;
  lastKeptAliveAt: string | null;
}

async function status(ws: Workspace, name: string): Promise<Status> {
  return (JSON.parse((await ws.berth('status', name, '--json')).stdout) as Status[])[0] as Status;
}

/** A workspace with a registry that signs in with Berth's own client, added with these flags and not yet signed in. */
async function added(rig: Rig, user: string, ...flags: string[]): Promise<{ ws: Workspace; name: string }> {
  const ws = workspace();
  const name = uniqueName(user);
  const add = await ws.berth('add', 'harbor', name, '--url', rig.harbor.url, '--client-id', rig.berthClientId, ...flags);
  assert.equal(add.code, 0, add.stderr);
  return { ws, name };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('identity providers that behave otherwise than the test one', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  // Keycloak as it ships: what every other rig in the suite now is too.
  let keycloak: Rig;
  let noRevocation: Rig;
  let logoutEnds: Rig;
  let sessionBound: Rig;
  let exact: Rig;
  let exactPort: number;
  let fixed: Rig;
  let otherIssuer: Rig;
  before(async () => {
    exactPort = await freePort();
    [keycloak, noRevocation, logoutEnds, sessionBound, exact, fixed, otherIssuer] = await Promise.all([
      startRig(),
      startRig({ provider: { revocation: false } }),
      startRig({ provider: { revocation: false, logoutEndsSessions: true } }),
      startRig({ provider: { sessionBoundRefresh: 10 * 3600 } }),
      startRig({ berthClient: { application_type: 'web', redirect_uris: [`http://127.0.0.1:${exactPort}/callback`] } }),
      startRig({ provider: { fixedSessionTtl: 3600 } }),
      startRig({ harborIssuerHost: 'localhost' }),
    ]);
    await Promise.all([keycloak, noRevocation, logoutEnds, sessionBound, exact, fixed, otherIssuer].map((rig) => rig.webLogin('alice')));
  });
  after(() => Promise.all([keycloak, noRevocation, logoutEnds, sessionBound, exact, fixed, otherIssuer].map((rig) => rig?.stop())));

  test('the rig is Keycloak as it ships: ID tokens as long as access tokens, refresh_expires_in 0 offline, old refresh tokens still valid, 32-character onboarding secrets', async () => {
    const started = await fetch(`${keycloak.idp.issuer}/.well-known/openid-configuration`);
    const metadata = (await started.json()) as { token_endpoint: string };
    const { ws, name } = await added(keycloak, 'alice');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    const first = (await storedSecret(ws, name, 'refresh-token')) as string;
    const response = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: first, client_id: keycloak.berthClientId }),
    });
    const tokens = (await response.json()) as { refresh_token: string; refresh_expires_in: number; id_token: string; expires_in: number; scope: string };
    assert.equal(tokens.refresh_expires_in, 0, 'an offline session without a maximum');
    assert.equal(tokens.expires_in, 300);
    const claims = decodeJwt(tokens.id_token);
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 300, 'the ID token lives as long as the access token');
    assert.notEqual(tokens.refresh_token, first);
    assert.equal(await keycloak.idp.refreshTokenActive(first), true, '"Revoke Refresh Token" is off: the old one still works');
    assert.match(keycloak.harbor.user('alice')?.secret ?? '', /^[A-Za-z0-9]{32}$/);
    // Berth reads refresh_expires_in 0 as no end: a plain valid registry, not one about to expire.
    const shown = await status(ws, name);
    assert.equal(shown.state, 'valid');
    assert.equal(shown.sessionExpiresAt, null);
  });

  test('any OAuth error answer to a refresh ends Berth’s session (with the provider’s words), and the Harbor leg still runs', async () => {
    const { ws, name } = await added(keycloak, 'alice');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    const before = await status(ws, name);
    const tokenRequests = () => keycloak.harbor.requestLog.filter((line) => line === 'GET /service/token').length;
    const used = tokenRequests();
    keycloak.idp.refreshErrors.set(keycloak.berthClientId, 'invalid_request');
    try {
      await sleep(1100);
      const refresh = await ws.berth('refresh', name, '--json');
      const after = (JSON.parse(refresh.stdout) as Status[])[0] as Status;
      assert.equal(after.state, 'needs-sign-in', refresh.stdout);
      assert.match(after.lastError ?? '', /ended Berth's session .* \(invalid_request: Session not active\)\. Docker credentials still work and Berth keeps Harbor's session alive/);
      assert.ok(tokenRequests() > used, 'the CLI secret was used at Harbor');
      assert.ok(Date.parse(after.lastKeptAliveAt ?? '') > Date.parse(before.lastKeptAliveAt ?? ''), 'Harbor’s session was kept alive');
      assert.equal((await dockerInspect(ws, keycloak.imageRef)).code, 0);
    } finally {
      keycloak.idp.refreshErrors.delete(keycloak.berthClientId);
    }
    assertNoSecretsLeaked(keycloak, ws);
  });

  test('an ID token that is not a JWT is the identity provider’s fault, not the network’s: error, with the provider named, and the Harbor leg still runs', async () => {
    const { ws, name } = await added(keycloak, 'alice');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    const host = new URL(keycloak.idp.issuer).host;
    keycloak.idp.malformedIdTokens.add(keycloak.berthClientId);
    try {
      const refresh = await ws.berth('refresh', name, '--json');
      const after = (JSON.parse(refresh.stdout) as Status[])[0] as Status;
      assert.equal(after.state, 'error', refresh.stdout);
      assert.match(after.lastError ?? '', new RegExp(`the identity provider at ${host} sent an answer Berth cannot accept \\(invalid response encountered: Invalid JWT\\)\\. Harbor's session for alice was kept alive`));
      assert.doesNotMatch(after.lastError ?? '', /Cannot reach|network/);
      assert.equal((await dockerInspect(ws, keycloak.imageRef)).code, 0, 'docker credentials untouched');

      const again = await added(keycloak, 'alice');
      const login = await cliLogin(again.ws, again.name, 'alice');
      assert.equal(login.code, 1);
      assert.match(login.stderr, new RegExp(`Could not finish the sign-in for ${again.name}: the identity provider at ${host} sent an answer Berth cannot accept`));
      assert.doesNotMatch(login.stderr, /Cannot reach|network/);
    } finally {
      keycloak.idp.malformedIdTokens.delete(keycloak.berthClientId);
    }
    assertNoSecretsLeaked(keycloak, ws);
  });

  test('a provider that takes the request and never answers is offline once the deadline runs out, not an answer Berth cannot accept', async () => {
    const { ws, name } = await added(keycloak, 'alice');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    // Harbor's own stored session is fresh, so Harbor needs no answer from the provider during this pass.
    await keycloak.webLogin('alice');
    const host = new URL(keycloak.idp.issuer).host;
    keycloak.idp.hang(true);
    try {
      const refresh = await ws.berth('refresh', name, '--json');
      const after = (JSON.parse(refresh.stdout) as Status[])[0] as Status;
      assert.equal(after.state, 'offline', refresh.stdout);
      assert.match(after.lastError ?? '', new RegExp(`Cannot reach ${host} \\(timed out\\)\\. Check the network or VPN and try again\\. Harbor's session for alice was kept alive`));
    } finally {
      keycloak.idp.hang(false);
    }
    assert.equal((await dockerInspect(ws, keycloak.imageRef)).code, 0, 'docker credentials untouched');
  });

  test('sign-out at a provider without a revocation endpoint says it could not revoke; a logout endpoint that ends the session is used', async () => {
    const plain = await added(noRevocation, 'alice');
    assert.equal((await cliLogin(plain.ws, plain.name, 'alice')).code, 0);
    const lingering = (await storedSecret(plain.ws, plain.name, 'refresh-token')) as string;
    const out = await plain.ws.berth('logout', plain.name, '--json');
    assert.equal(out.code, 0, out.stderr);
    const result = JSON.parse(out.stdout) as { revoked: boolean; warnings: string[] };
    assert.equal(result.revoked, false);
    assert.match(result.warnings.join(' '), /has no revocation endpoint, and its logout endpoint did not end Berth's session\. Berth deleted its own copy, but the session stays valid at the provider/);
    assert.match(out.stderr, /warning: .*has no revocation endpoint/);
    assert.doesNotMatch(out.stderr, /the session is revoked/);
    assert.equal(await noRevocation.idp.refreshTokenActive(lingering), true, 'which is the truth: the provider still honours it');

    const keycloakLike = await added(logoutEnds, 'alice');
    assert.equal((await cliLogin(keycloakLike.ws, keycloakLike.name, 'alice')).code, 0);
    const ended = (await storedSecret(keycloakLike.ws, keycloakLike.name, 'refresh-token')) as string;
    const logout = await keycloakLike.ws.berth('logout', keycloakLike.name, '--json');
    assert.equal(logout.code, 0, logout.stderr);
    assert.deepEqual(JSON.parse(logout.stdout), { name: keycloakLike.name, revoked: true, warnings: [] });
    assert.equal(await logoutEnds.idp.refreshTokenActive(ended), false, 'the logout endpoint ended the offline session');
  });

  test('offline access is asked for with prompt=consent by default; a session-bound refresh token is detected and explained', async () => {
    const consented = await added(keycloak, 'alice');
    assert.equal((await cliLogin(consented.ws, consented.name, 'alice')).code, 0);
    assert.ok(await storedSecret(consented.ws, consented.name, 'refresh-token'), 'offline access granted without --auth-param prompt=consent');
    assert.equal((await status(consented.ws, consented.name)).notice, null);

    // The user's own prompt replaces Berth's consent; this provider then hands out a refresh token bound to the browser session.
    const bound = await added(sessionBound, 'alice', '--auth-param', 'prompt=login');
    const login = await cliLogin(bound.ws, bound.name, 'alice');
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /warning: The identity provider at 127\.0\.0\.1:\d+ gave Berth a session bound to your browser's sign-in instead of offline access \(your settings replaced Berth's prompt=consent with prompt=login/);
    const shown = await status(bound.ws, bound.name);
    assert.equal(shown.state, 'expiring', 'Berth’s own session ends within hours: warned about like any other expiry');
    assert.match(shown.notice ?? '', /bound to your browser's sign-in.*docker's credential and Harbor's own session are not affected/);
    const end = Date.parse(shown.sessionExpiresAt ?? '');
    assert.ok(Math.abs(end - (Date.now() + 10 * 3600 * 1000)) < 60_000, `the session's end is known: ${shown.sessionExpiresAt}`);
    assert.match((await bound.ws.berth('status', bound.name)).stdout, /note: The identity provider .* session bound to your browser's sign-in/);
  });

  test('a provider that matches redirect URIs exactly: the error points at --loopback-port, which works, and a taken port names its holder', async () => {
    const anyPort = await added(exact, 'alice');
    const refused = await cliLogin(anyPort.ws, anyPort.name, 'alice');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /does not allow Berth's redirect URI http:\/\/127\.0\.0\.1:\d+\/callback .*where the provider matches redirect URIs exactly, add the registry again with --loopback-port/);

    const fixedPort = await added(exact, 'alice', '--loopback-port', String(exactPort));
    const login = await cliLogin(fixedPort.ws, fixedPort.name, 'alice');
    assert.equal(login.code, 0, login.stderr);
    assert.equal(storedStatus(fixedPort.ws, fixedPort.name).state, 'valid');

    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(exactPort, '127.0.0.1', resolve));
    try {
      const taken = await cliLogin(fixedPort.ws, fixedPort.name, 'alice');
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, new RegExp(`must receive the browser on 127\\.0\\.0\\.1:${exactPort}, the port registered at the identity provider, but node \\(pid ${process.pid}\\) is using it`));
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    const profile = await fixedPort.ws.berth('add', 'harbor', 'x', '--url', exact.harbor.url, '--loopback-port', '80000', '--client-id', 'berth');
    assert.equal(profile.code, 64);
  });

  test('a session with a fixed lifetime shows its real end, which keep-alive cannot extend; a profile can state one the provider does not', async () => {
    const { ws, name } = await added(fixed, 'alice', '--warn-days', '0');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    const first = await status(ws, name);
    const end = Date.parse(first.sessionExpiresAt ?? '');
    assert.ok(Math.abs(end - (Date.now() + 3600_000)) < 60_000, `ends an hour after sign-in: ${first.sessionExpiresAt}`);
    await sleep(6000);
    assert.equal((await ws.berth('refresh', name)).code, 0);
    const later = await status(ws, name);
    assert.ok(Math.abs(Date.parse(later.sessionExpiresAt ?? '') - end) < 2000, 'the refresh did not move the end');
    assert.equal(later.sessionFixed, true);
    assert.match((await ws.berth('status', name)).stdout, /Berth's session ends .*, keep-alive cannot extend it/);

    // The provider says nothing (Keycloak's offline session: refresh_expires_in 0), but the administrator knows: 2 days.
    const capped = workspace();
    const profile = `${capped.home}/profile.json`;
    await import('node:fs').then(({ writeFileSync }) => writeFileSync(profile, JSON.stringify({ clientId: keycloak.berthClientId, maxSessionDays: 2 })));
    const cappedName = uniqueName('capped');
    assert.equal((await capped.berth('add', 'harbor', cappedName, '--url', keycloak.harbor.url, '--profile', profile)).code, 0);
    assert.equal((await cliLogin(capped, cappedName, 'alice')).code, 0);
    const shown = await status(capped, cappedName);
    assert.ok(Math.abs(Date.parse(shown.sessionExpiresAt ?? '') - (Date.now() + 2 * 86_400_000)) < 60_000);
    assert.equal(shown.sessionFixed, true);
    assert.equal(shown.state, 'expiring', 'warned about like any other expiry (within the 3-day threshold)');
  });

  test('an ID token from another issuer than Harbor’s is named as such, not blamed on onboarding', async () => {
    const ws = workspace();
    const name = uniqueName('iss');
    // Berth is told the provider as 127.0.0.1; Harbor knows it as localhost.
    const add = await ws.berth(...addArgs(otherIssuer, name));
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /warning: Harbor at .* trusts ID tokens only from the issuer "http:\/\/localhost:\d+", not "http:\/\/127\.0\.0\.1:\d+"/);
    const login = await cliLogin(ws, name, 'alice');
    assert.equal(login.code, 1);
    assert.match(login.stderr, /trusts ID tokens only from the issuer "http:\/\/localhost:\d+", but Berth signed in at "http:\/\/127\.0\.0\.1:\d+".*Add the registry again with --issuer http:\/\/localhost:\d+/);
    assert.doesNotMatch(login.stderr, /does not know this user yet/);
    assert.equal(storedStatus(ws, name).state, 'signed-out');
    assert.match(storedStatus(ws, name).lastError as string, /trusts ID tokens only from the issuer/);
  });
});
