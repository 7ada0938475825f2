import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createNodeApi } from '../../main/api/node.js';
import { openStores } from '../../main/settings/node-stores.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { assertNoSecretsLeaked, cliLogin, dockerInspect, storedSecret } from '../helpers/berth.js';
import { added, status, type Status } from '../helpers/own-client.js';

describe('identity providers that fail for a while, stop stating an end, or cannot end a session', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  // Keycloak's defaults.
  let keycloak: Rig;
  // No revocation endpoint; a logout endpoint that does not end offline sessions; token introspection to ask with.
  let noRevocation: Rig;
  // The same without token introspection: Berth cannot tell whether the logout endpoint ended the session.
  let noIntrospection: Rig;
  let noLogout: Rig;
  // Keycloak's logout endpoint ends the session its refresh token belongs to.
  let logoutEnds: Rig;
  before(async () => {
    [keycloak, noRevocation, noIntrospection, noLogout, logoutEnds] = await Promise.all([
      startRig(),
      startRig({ provider: { revocation: false, introspection: true } }),
      startRig({ provider: { revocation: false } }),
      startRig({ provider: { revocation: false, logout: false } }),
      startRig({ provider: { revocation: false, logoutEndsSessions: true, introspection: true } }),
    ]);
    await Promise.all([keycloak, noRevocation, noIntrospection, noLogout, logoutEnds].map((rig) => rig.webLogin('alice')));
  });
  after(() => Promise.all([keycloak, noRevocation, noIntrospection, noLogout, logoutEnds].map((rig) => rig?.stop())));

  test('a provider answering its token endpoint with 502 or 503 and an error page (a restart, a failing proxy) is offline, not an error and not a dead session; the Harbor leg still runs', async () => {
    const { ws, name } = await added(keycloak, 'alice');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    const host = new URL(keycloak.idp.issuer).host;
    const secretUses = () => keycloak.harbor.requestLog.filter((line) => line === 'GET /service/token').length;
    try {
      // Harbor's own stored session is fresh: it needs no answer from the provider, so the CLI secret keeps working.
      await keycloak.webLogin('alice');
      const kept = (await status(ws, name)).lastKeptAliveAt;
      keycloak.idp.failTokenEndpoint(502);
      const uses = secretUses();
      const refresh = await ws.berth('refresh', name, '--json');
      const after = (JSON.parse(refresh.stdout) as Status[])[0] as Status;
      assert.equal(after.state, 'offline', refresh.stdout);
      assert.match(after.lastError ?? '', new RegExp(`the identity provider at ${host} answered HTTP 502 without an OAuth answer, so it \\(or a proxy in front of it\\) is failing for now\\. Harbor's session for alice was kept alive and docker's credentials work`));
      assert.ok(secretUses() > uses, 'the CLI secret was used at Harbor');
      assert.ok(Date.parse(after.lastKeptAliveAt ?? '') > Date.parse(kept ?? ''), 'Harbor’s session was kept alive');
      assert.equal((await dockerInspect(ws, keycloak.imageRef)).code, 0, 'docker credentials untouched');

      // Harbor's access token has expired too: its own refresh hits the same failing provider, so its 401 proves nothing either.
      keycloak.idp.failTokenEndpoint(503);
      keycloak.harbor.expireAccessToken('alice');
      const both = await ws.berth('refresh', name, '--json');
      const offline = (JSON.parse(both.stdout) as Status[])[0] as Status;
      assert.equal(offline.state, 'offline', both.stdout);
      assert.match(offline.lastError ?? '', new RegExp(`answered HTTP 503 without an OAuth answer`));
      assert.equal(await storedSecret(ws, name, 'cli-secret'), keycloak.harbor.user('alice')?.secret, 'nothing was thrown away');
    } finally {
      keycloak.idp.failTokenEndpoint(null);
    }
    // The provider is back: the next pass renews both sessions.
    const back = await ws.berth('refresh', name, '--json');
    assert.equal((JSON.parse(back.stdout) as Status[])[0]?.state, 'valid', back.stdout);
    assert.equal((await dockerInspect(ws, keycloak.imageRef)).code, 0);
    assertNoSecretsLeaked(keycloak, ws);
  });

  test('an end of Berth’s session learned before is dropped once the provider answers without one, and kept while it does not answer', async () => {
    const { ws, name } = await added(keycloak, 'alice');
    assert.equal((await cliLogin(ws, name, 'alice')).code, 0);
    await keycloak.webLogin('alice');
    // An end an earlier answer stated (a session-bound token, a profile since changed), now stale: Keycloak's offline session states none.
    const stale = new Date(Date.now() + 86_400_000).toISOString();
    const { status: stored } = openStores(ws.berthHome);
    stored.put(name, { ...stored.get(name), sessionExpiresAt: stale, sessionFixed: true });
    assert.equal((await status(ws, name)).state, 'expiring');

    keycloak.idp.failTokenEndpoint(502);
    try {
      const unanswered = (JSON.parse((await ws.berth('refresh', name, '--json')).stdout) as Status[])[0] as Status;
      assert.equal(unanswered.sessionExpiresAt, stale, 'no answer from the provider: what Berth knew stays');
    } finally {
      keycloak.idp.failTokenEndpoint(null);
    }
    const answered = (JSON.parse((await ws.berth('refresh', name, '--json')).stdout) as Status[])[0] as Status;
    assert.equal(answered.state, 'valid');
    assert.equal(answered.sessionExpiresAt, null, 'the provider states no end now');
    assert.equal(answered.sessionFixed, false);
    assert.doesNotMatch((await ws.berth('status', name)).stdout, /Berth's session ends/);
  });

  test('sign-out at a provider without a revocation endpoint: the logout endpoint is used and its effect asked of token introspection, never by renewing the session; where nothing can confirm it, or there is no logout endpoint, Berth says so and the registry keeps saying it', async () => {
    const berthGrants = (rig: Rig) => rig.idp.grants.filter((client) => client === rig.berthClientId).length;

    // The logout endpoint leaves the offline session alive, and token introspection says so.
    const plain = await added(noRevocation, 'alice');
    assert.equal((await cliLogin(plain.ws, plain.name, 'alice')).code, 0);
    const lingering = (await storedSecret(plain.ws, plain.name, 'refresh-token')) as string;
    const grantsBefore = berthGrants(noRevocation);
    const out = await plain.ws.berth('logout', plain.name, '--json');
    assert.equal(out.code, 0, out.stderr);
    const result = JSON.parse(out.stdout) as { revoked: boolean; warnings: string[] };
    assert.equal(result.revoked, false);
    assert.match(
      result.warnings.join(' '),
      /^Berth could not end its session at the identity provider at 127\.0\.0\.1:\d+: it has no revocation endpoint, and its logout endpoint did not end the session\. Berth deleted its own copy, but the provider keeps the session valid until it expires there, which can take weeks\. To end it sooner, sign out of your sessions in the provider's account page, or ask its administrator to end them\.$/,
    );
    assert.match(out.stderr, /warning: Berth could not end its session at the identity provider/);
    assert.doesNotMatch(out.stderr, /the session is revoked/);
    assert.equal(await noRevocation.idp.refreshTokenActive(lingering), true, 'which is the truth: the provider still honours it');
    assert.ok(noRevocation.idp.requestLog.includes('POST /token/introspection'), 'Berth asked token introspection');
    assert.equal(berthGrants(noRevocation), grantsBefore, 'no refresh grant, which would have renewed the session it checked');
    // The registry keeps saying so after the sign-out, and the activity list says it too.
    const shown = await status(plain.ws, plain.name);
    assert.equal(shown.state, 'signed-out');
    assert.equal(shown.notice, result.warnings.join(' '));
    assert.match((await plain.ws.berth('status', plain.name)).stdout, /note: Berth could not end its session at the identity provider/);
    const entry = createNodeApi(plain.ws.env).activity()[0];
    assert.equal(entry?.kind, 'problem');
    assert.equal(entry?.text, `Signed out. ${result.warnings.join(' ')}`);

    // A logout endpoint and no introspection: Berth cannot tell without renewing the session, and says exactly that.
    const unsure = await added(noIntrospection, 'alice');
    assert.equal((await cliLogin(unsure.ws, unsure.name, 'alice')).code, 0);
    const unknown = (await storedSecret(unsure.ws, unsure.name, 'refresh-token')) as string;
    const unsureGrants = berthGrants(noIntrospection);
    const unsureOut = await unsure.ws.berth('logout', unsure.name, '--json');
    assert.equal(unsureOut.code, 0, unsureOut.stderr);
    const unsureResult = JSON.parse(unsureOut.stdout) as { revoked: boolean; warnings: string[] };
    assert.equal(unsureResult.revoked, false);
    assert.match(
      unsureResult.warnings.join(' '),
      /^Berth asked the identity provider at 127\.0\.0\.1:\d+ to end its session through its logout endpoint \(it has no revocation endpoint\), but could not confirm that it did: it offers no token introspection, and trying the token again would renew the session if it survived\. Berth deleted its own copy; if the session survived, the provider keeps it valid until it expires there, which can take weeks\. To be sure, sign out of your sessions in the provider's account page, or ask its administrator to end them\.$/,
    );
    assert.ok(noIntrospection.idp.requestLog.includes('POST /session/end'), 'the logout endpoint was called');
    assert.equal(berthGrants(noIntrospection), unsureGrants, 'no refresh grant to find out');
    assert.equal(await noIntrospection.idp.refreshTokenActive(unknown), true, 'this logout endpoint did leave it alive: the warning was due');
    assert.equal((await status(unsure.ws, unsure.name)).notice, unsureResult.warnings.join(' '));

    // No revocation endpoint and no logout endpoint at all: nothing is even tried, and the warning says why.
    const bare = await added(noLogout, 'alice');
    assert.equal((await cliLogin(bare.ws, bare.name, 'alice')).code, 0);
    const kept = (await storedSecret(bare.ws, bare.name, 'refresh-token')) as string;
    const bareOut = await bare.ws.berth('logout', bare.name, '--json');
    assert.equal(bareOut.code, 0, bareOut.stderr);
    const bareResult = JSON.parse(bareOut.stdout) as { revoked: boolean; warnings: string[] };
    assert.equal(bareResult.revoked, false);
    assert.match(bareResult.warnings.join(' '), /^Berth could not end its session at the identity provider at 127\.0\.0\.1:\d+: it offers neither a revocation nor a logout endpoint\. Berth deleted its own copy, but the provider keeps the session valid/);
    assert.equal(await noLogout.idp.refreshTokenActive(kept), true);
    assert.ok(!noLogout.idp.requestLog.includes('POST /session/end'), 'no logout endpoint was called');

    // Keycloak's logout endpoint ends the offline session, and introspection confirms it.
    const keycloakLike = await added(logoutEnds, 'alice');
    assert.equal((await cliLogin(keycloakLike.ws, keycloakLike.name, 'alice')).code, 0);
    const ended = (await storedSecret(keycloakLike.ws, keycloakLike.name, 'refresh-token')) as string;
    const endedGrants = berthGrants(logoutEnds);
    const logout = await keycloakLike.ws.berth('logout', keycloakLike.name, '--json');
    assert.equal(logout.code, 0, logout.stderr);
    assert.deepEqual(JSON.parse(logout.stdout), { name: keycloakLike.name, revoked: true, warnings: [] });
    assert.equal(await logoutEnds.idp.refreshTokenActive(ended), false, 'the logout endpoint ended the offline session');
    assert.equal(berthGrants(logoutEnds), endedGrants);
  });
});
