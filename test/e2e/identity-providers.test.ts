import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { createNodeApi } from '../../main/api/node.js';
import { NotificationPolicy } from '../../main/app/notifications.js';
import { openStores } from '../../main/settings/node-stores.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { addArgs, assertNoSecretsLeaked, cliLogin, dockerInspect, storedSecret, storedStatus, type Workspace, uniqueName, workspace } from '../helpers/berth.js';
import { added, status, type Status } from '../helpers/own-client.js';

interface TokenResponse {
  refresh_token: string;
  refresh_expires_in?: number;
  id_token: string;
  expires_in: number;
  scope: string;
}

/** A refresh grant with Berth's client id made by hand, as another copy of Berth's refresh token would be used. */
async function refreshRequest(rig: Rig, refreshToken: string): Promise<Response> {
  const metadata = (await (await fetch(`${rig.idp.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  return fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: rig.berthClientId }),
  });
}

/** What the provider answers a refresh; Keycloak's default leaves the presented token valid. */
async function refreshDirectly(rig: Rig, refreshToken: string): Promise<TokenResponse> {
  const response = await refreshRequest(rig, refreshToken);
  assert.equal(response.status, 200);
  return (await response.json()) as TokenResponse;
}

/** Moves the registry's last pass (and, with it, what that pass was told) back in time, as if it had been made that long ago. */
function passMadeAgo(ws: Workspace, name: string, ms: number, fields: ('lastKeptAliveAt' | 'sessionExpiresAt')[]): void {
  const { status: stored } = openStores(ws.berthHome);
  const record = { ...stored.get(name) };
  for (const field of fields) record[field] = new Date(Date.parse(record[field] as string) - ms).toISOString();
  stored.put(name, record);
}

/** Like `added`, from a registry profile the administrator handed out (only the fields given here). */
async function addedFromProfile(rig: Rig, user: string, profile: Record<string, unknown>): Promise<{ ws: Workspace; name: string }> {
  const ws = workspace();
  const name = uniqueName(user);
  const file = join(ws.home, 'profile.json');
  writeFileSync(file, JSON.stringify(profile));
  const add = await ws.berth('add', 'harbor', name, '--url', rig.harbor.url, '--profile', file);
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
  // Keycloak's defaults: what every other rig in the suite is too, unless it switches a behaviour.
  let keycloak: Rig;
  // oidc-provider as it ships (OIDC Core §11): offline access only with prompt=consent, and no refresh token without it.
  let consentOnly: Rig;
  let sessionBound: Rig;
  let exact: Rig;
  let exactPort: number;
  let fixed: Rig;
  let offlineMax: Rig;
  let jwtFixed: Rig;
  let revoking: Rig;
  let otherIssuer: Rig;
  before(async () => {
    exactPort = await freePort();
    [keycloak, consentOnly, sessionBound, exact, fixed, offlineMax, jwtFixed, revoking, otherIssuer] = await Promise.all([
      startRig(),
      startRig({ provider: { offlineAccessNeedsConsent: true } }),
      // A provider that downgrades to a refresh token bound to the browser session (10 h) where offline access was not consented to.
      startRig({ provider: { offlineAccessNeedsConsent: true, sessionBoundRefresh: 10 * 3600 } }),
      startRig({ berthClient: { application_type: 'web', redirect_uris: [`http://127.0.0.1:${exactPort}/callback`] } }),
      startRig({ provider: { fixedSessionTtl: 3600 } }),
      // Keycloak with "Offline Session Max" on, at its defaults: 30 days idle, 60 days at most.
      startRig({ provider: { offlineSessionMax: 60 * 86_400 } }),
      startRig({ provider: { jwtRefreshTokens: true, fixedSessionTtl: 3600 } }),
      // Keycloak with "Revoke Refresh Token" on; Harbor refreshes its own session at the provider on every use of the secret.
      startRig({ provider: { revokeRefreshToken: true }, harborRefreshesOnEveryUse: true }),
      startRig({ harborIssuerHost: 'localhost' }),
    ]);
    await Promise.all([keycloak, consentOnly, sessionBound, exact, fixed, offlineMax, jwtFixed, revoking, otherIssuer].map((rig) => rig.webLogin('alice')));
  });
  after(() => Promise.all([keycloak, consentOnly, sessionBound, exact, fixed, offlineMax, jwtFixed, revoking, otherIssuer].map((rig) => rig?.stop())));

  test('the rig plays Keycloak’s defaults: offline access without prompt=consent, ID tokens as long as access tokens, refresh_expires_in 0 offline, old refresh tokens still valid, 32-character onboarding secrets', async () => {
    // The person's own prompt replaces Berth's consent: Keycloak grants offline access all the same.
    const { ws, name } = await added(keycloak, 'alice', '--auth-param', 'prompt=login');
    const login = await cliLogin(ws, name, 'alice');
    assert.equal(login.code, 0, login.stderr);
    assert.doesNotMatch(login.stderr, /warning:/);
    const first = (await storedSecret(ws, name, 'refresh-token')) as string;
    const tokens = await refreshDirectly(keycloak, first);
    assert.ok(tokens.scope.split(' ').includes('offline_access'), `offline access granted without consent: ${tokens.scope}`);
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
      // The desktop notice says so too, instead of warning of failing pulls.
      const [view] = createNodeApi(ws.env).status(name);
      assert.equal(view?.secretAccepted, true);
      const [notice] = new NotificationPolicy({ lastShown: () => undefined, remember: () => undefined }).update(view ? [view] : []);
      assert.equal(notice?.kind, 'needs-sign-in');
      assert.match(notice?.body ?? '', /^Berth's own session has ended, but docker pulls still work/);
      assert.ok(tokenRequests() > used, 'the CLI secret was used at Harbor');
      assert.ok(Date.parse(after.lastKeptAliveAt ?? '') > Date.parse(before.lastKeptAliveAt ?? ''), 'Harbor’s session was kept alive');
      assert.equal((await dockerInspect(ws, keycloak.imageRef)).code, 0);
    } finally {
      keycloak.idp.refreshErrors.delete(keycloak.berthClientId);
    }
    assertNoSecretsLeaked(keycloak, ws);
  });

  test('Keycloak with "Revoke Refresh Token" on: a reused refresh token ends Berth’s client session only; Harbor’s own session lives on, and every pass keeps it alive', async () => {
    const { ws, name } = await added(revoking, 'alice');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    const spent = (await storedSecret(ws, name, 'refresh-token')) as string;
    const renewed = await ws.berth('refresh', name, '--json');
    assert.equal((JSON.parse(renewed.stdout) as Status[])[0]?.state, 'valid', renewed.stderr);
    // A stale copy of the refresh token Berth has just spent (a restored backup, a cloned home folder) is presented again.
    const reuse = await refreshRequest(revoking, spent);
    assert.equal(reuse.status, 400);
    assert.equal(((await reuse.json()) as { error: string }).error, 'invalid_grant');
    assert.deepEqual(revoking.idp.refreshTokenReuses, [revoking.berthClientId]);

    const harborRefreshes = () => revoking.idp.grants.filter((client) => client === revoking.harborClientId).length;
    const secretUses = () => revoking.harbor.requestLog.filter((line) => line === 'GET /service/token').length;
    for (const pass of [1, 2]) {
      const before = { refreshes: harborRefreshes(), uses: secretUses(), keptAlive: (await status(ws, name)).lastKeptAliveAt };
      const refresh = await ws.berth('refresh', name, '--json');
      assert.equal(refresh.code, 1, 'the registry needs the person');
      const after = (JSON.parse(refresh.stdout) as Status[])[0] as Status;
      assert.equal(after.state, 'needs-sign-in', `pass ${pass}: Berth's own session is over`);
      assert.match(after.lastError ?? '', /ended Berth's session .*\(invalid_grant.*Docker credentials still work and Berth keeps Harbor's session alive/);
      assert.ok(secretUses() > before.uses, `pass ${pass}: the CLI secret was used at Harbor`);
      assert.ok(harborRefreshes() > before.refreshes, `pass ${pass}: Harbor refreshed its own session at the provider`);
      assert.ok(Date.parse(after.lastKeptAliveAt ?? '') > Date.parse(before.keptAlive ?? ''), `pass ${pass}: Harbor's session was kept alive`);
    }
    assert.equal((await dockerInspect(ws, revoking.imageRef)).code, 0, "docker's credential still works");
    assertNoSecretsLeaked(revoking, ws);
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
      assert.match(after.lastError ?? '', new RegExp(`Cannot reach ${host} \\(no complete answer within 15 s\\)\\. Check the network or VPN and try again\\. Harbor's session for alice was kept alive`));
    } finally {
      keycloak.idp.hang(false);
    }
    assert.equal((await dockerInspect(ws, keycloak.imageRef)).code, 0, 'docker credentials untouched');
  });

  test('a provider that grants offline access only with consent (OIDC Core §11): Berth asks with prompt=consent by default; a session-bound refresh token, or none, is detected and explained', async () => {
    const consented = await added(consentOnly, 'alice');
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

    // A profile's prompt replaces Berth's too; this provider then grants no offline access at all, and Berth says why.
    const prompted = await addedFromProfile(consentOnly, 'alice', { clientId: consentOnly.berthClientId, authParams: { prompt: 'login' } });
    const promptedLogin = await cliLogin(prompted.ws, prompted.name, 'alice');
    assert.equal(promptedLogin.code, 0, promptedLogin.stderr);
    assert.ok((await storedSecret(prompted.ws, prompted.name, 'refresh-token')) === null, 'without consent, no refresh token');
    assert.match(promptedLogin.stderr, /warning: The identity provider at .* gave Berth no session of its own: it did not grant offline_access \(your settings replaced Berth's prompt=consent with prompt=login;/);
    assert.match(promptedLogin.stderr, /The identity provider's administrator fixes this by granting offline_access to Berth's client "berth", or you do by dropping the prompt setting/);
    const first = await status(prompted.ws, prompted.name);
    assert.equal(first.state, 'expiring', 'Berth holds no session of its own: it will need a new sign-in, and says so');
    assert.equal(first.lastError, null);
    assert.equal((await dockerInspect(prompted.ws, consentOnly.imageRef)).code, 0, "docker's credential works all the same");

    // The first pass keeps Harbor's session alive and says nothing new: no needs-sign-in beside "docker credentials still work".
    const pass = await prompted.ws.berth('refresh', prompted.name, '--json');
    assert.equal(pass.code, 0, pass.stdout + pass.stderr);
    const after = (JSON.parse(pass.stdout) as Status[])[0] as Status;
    assert.equal(after.state, 'expiring');
    assert.equal(after.lastError, null);
    assert.match(after.notice ?? '', /gave Berth no session of its own: it did not grant offline_access/);
    assert.ok(Date.parse(after.lastKeptAliveAt ?? '') > Date.now() - 60_000, 'Harbor was kept alive');

    // A session bound to the browser whose end the provider does not state is expiring too, and says when it ends.
    const unstated = await added(sessionBound, 'alice', '--auth-param', 'prompt=login');
    sessionBound.idp.statesRefreshEnd = false;
    try {
      assert.equal((await cliLogin(unstated.ws, unstated.name, 'alice')).code, 0);
    } finally {
      sessionBound.idp.statesRefreshEnd = true;
    }
    const browserBound = await status(unstated.ws, unstated.name);
    assert.equal(browserBound.state, 'expiring');
    assert.equal(browserBound.sessionExpiresAt, null);
    assert.match(browserBound.notice ?? '', /bound to your browser's sign-in instead of offline access .*, which ends when your browser's sign-in session at the provider ends \(it does not say when\)\./);
  });

  test('offline access granted with a non-zero refresh_expires_in (Keycloak’s "Offline Session Max"): an offline session, not a browser-bound one, whose stated end is shown and moves on with each refresh', async () => {
    const { ws, name } = await added(offlineMax, 'alice');
    const login = await cliLogin(ws, name, 'alice');
    assert.equal(login.code, 0, login.stderr);
    assert.doesNotMatch(login.stderr, /warning:/);
    // What the provider answers for this session: offline_access granted, and an end 30 days out (the idle window is nearer than the maximum).
    const answer = await refreshDirectly(offlineMax, (await storedSecret(ws, name, 'refresh-token')) as string);
    assert.ok(answer.scope.split(' ').includes('offline_access'), answer.scope);
    assert.ok(Math.abs((answer.refresh_expires_in ?? 0) - 30 * 86_400) < 60, `refresh_expires_in ${answer.refresh_expires_in}`);

    const first = await status(ws, name);
    assert.equal(first.notice, null, 'not called a session bound to the browser');
    assert.equal(first.state, 'valid');
    assert.ok(Math.abs(Date.parse(first.sessionExpiresAt ?? '') - (Date.now() + 30 * 86_400_000)) < 60_000, `the stated end: ${first.sessionExpiresAt}`);
    assert.equal(first.sessionFixed, false);

    // The next pass comes ten minutes after the last one: the stated end has moved on with it, so it is an idle window, not a fixed end.
    passMadeAgo(ws, name, 10 * 60_000, ['lastKeptAliveAt', 'sessionExpiresAt']);
    assert.equal((await ws.berth('refresh', name)).code, 0);
    const later = await status(ws, name);
    assert.equal(later.state, 'valid');
    assert.equal(later.notice, null);
    assert.ok(Math.abs(Date.parse(later.sessionExpiresAt ?? '') - (Date.now() + 30 * 86_400_000)) < 60_000, `still 30 days out: ${later.sessionExpiresAt}`);
    assert.equal(later.sessionFixed, false);
    assert.doesNotMatch((await ws.berth('status', name)).stdout, /keep-alive cannot extend it/);
  });

  test('a provider that matches redirect URIs exactly: the error points at --loopback-port, which works, as does a profile’s loopbackPort, and a taken port names its holder', async () => {
    const anyPort = await added(exact, 'alice');
    const refused = await cliLogin(anyPort.ws, anyPort.name, 'alice');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /does not allow Berth's redirect URI http:\/\/127\.0\.0\.1:\d+\/callback .*where the provider matches redirect URIs exactly, add the registry again with --loopback-port/);

    const fixedPort = await added(exact, 'alice', '--loopback-port', String(exactPort));
    const login = await cliLogin(fixedPort.ws, fixedPort.name, 'alice');
    assert.equal(login.code, 0, login.stderr);
    assert.equal(storedStatus(fixedPort.ws, fixedPort.name).state, 'valid');

    // The same port from a profile's loopbackPort.
    const fromProfile = await addedFromProfile(exact, 'alice', { clientId: exact.berthClientId, loopbackPort: exactPort });
    const profileLogin = await cliLogin(fromProfile.ws, fromProfile.name, 'alice');
    assert.equal(profileLogin.code, 0, profileLogin.stderr);
    assert.equal(storedStatus(fromProfile.ws, fromProfile.name).state, 'valid');

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
    assert.equal(first.notice, null, 'offline access was granted: not a session bound to the browser');
    const end = Date.parse(first.sessionExpiresAt ?? '');
    assert.ok(Math.abs(end - (Date.now() + 3600_000)) < 60_000, `ends an hour after sign-in: ${first.sessionExpiresAt}`);
    // The next pass comes ten minutes after the last one, and the provider states the same end.
    passMadeAgo(ws, name, 10 * 60_000, ['lastKeptAliveAt']);
    assert.equal((await ws.berth('refresh', name)).code, 0);
    const later = await status(ws, name);
    assert.ok(Math.abs(Date.parse(later.sessionExpiresAt ?? '') - end) < 2000, 'the refresh did not move the end');
    assert.equal(later.sessionFixed, true);
    assert.match((await ws.berth('status', name)).stdout, /Berth's own session ends on \d{4}-\d\d-\d\d \d\d:\d\d \(in [^)]+\), keep-alive cannot extend it/);

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

  test('a provider that states the end only in a JWT refresh token’s exp: that is the session’s end, and a refresh that does not move it makes it fixed', async () => {
    const { ws, name } = await added(jwtFixed, 'alice', '--warn-days', '0');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    const refreshToken = (await storedSecret(ws, name, 'refresh-token')) as string;
    const { exp } = decodeJwt(refreshToken);
    assert.ok(exp && Math.abs(exp * 1000 - (Date.now() + 3600_000)) < 60_000, `a JWT that ends an hour after sign-in: ${exp}`);
    assert.equal((await refreshDirectly(jwtFixed, refreshToken)).refresh_expires_in, undefined, 'and no refresh_expires_in beside it');
    const first = await status(ws, name);
    assert.equal(first.sessionExpiresAt, new Date(exp * 1000).toISOString(), 'the end is the token’s exp');
    assert.equal(first.notice, null);
    assert.equal(first.sessionFixed, false, 'one statement cannot tell a fixed end from an idle window');

    passMadeAgo(ws, name, 10 * 60_000, ['lastKeptAliveAt']);
    assert.equal((await ws.berth('refresh', name)).code, 0);
    const later = await status(ws, name);
    assert.equal(later.state, 'valid');
    assert.equal(decodeJwt((await storedSecret(ws, name, 'refresh-token')) as string).exp, exp, 'the rotated token states the same end');
    assert.equal(later.sessionExpiresAt, first.sessionExpiresAt);
    assert.equal(later.sessionFixed, true);
    assert.match((await ws.berth('status', name)).stdout, /Berth's own session ends on \d{4}-\d\d-\d\d \d\d:\d\d \(in [^)]+\), keep-alive cannot extend it/);
    assertNoSecretsLeaked(jwtFixed, ws);
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
