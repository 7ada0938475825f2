import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.js';
import { idTokenAuth, type HarborClient, type HarborUser } from '../harbor/client.js';
import { newCliSecret } from '../harbor/cli-secret.js';
import { rememberSecret } from '../log/redact.js';
import { discover, refreshTokens, revokeRefreshToken, signInWithBrowser, type OidcClientSettings, type Tokens } from '../oidc/provider.js';
import { checkBasicCredentials, discoverTokenService } from '../registry/token-auth.js';
import type { HarborOidcSettings } from '../settings/model.js';
import { checkCliSecret, harborClient, installSecret, signInAgain, useStoredSecret, verifiedNewSecret, webLoginNeeded } from './harbor-cli-secret.js';
import type { CredentialMethod, MethodDependencies, SessionOutcome, SignInRequest } from './method.js';

export function oidcSettings(registry: HarborOidcSettings): OidcClientSettings {
  return { registry: registry.name, issuer: registry.issuer, clientId: registry.clientId, caFile: registry.caFile };
}

/** Harbor answered the ID token as anonymous: either the audience is wrong or the user never logged in to the web UI. */
export async function explainAnonymous(harbor: HarborClient, tokens: Tokens, registry: HarborOidcSettings): Promise<BerthError> {
  const harborClientId = await harbor.webLoginClientId().catch(() => undefined);
  if (harborClientId && !tokens.claims.aud.includes(harborClientId)) {
    return new BerthError(
      'audience',
      `Harbor at ${harbor.host} did not accept the ID token for ${registry.name}: its audience is ${tokens.claims.aud.map((a) => `"${a}"`).join(', ')}, ` +
        `but Harbor accepts only ID tokens that name its own client "${harborClientId}". The identity provider must add "${harborClientId}" ` +
        `to the ID token audience of the client "${registry.clientId}" (Keycloak: an Audience mapper with "Add to ID token" on). ` +
        `Or sign in through Harbor's web login, which needs nothing registered: \`berth remove ${registry.name}\`, then add it again without --client-id.`,
      { registry: registry.name },
    );
  }
  return new BerthError(
    'needs-web-login',
    `Harbor at ${harbor.host} does not know this user yet: log in once at ${harbor.webLoginUrl}, then sign in to Berth again.`,
    { registry: registry.name, actionUrl: harbor.webLoginUrl },
  );
}

/**
 * Harbor's stored session is dead but the browser has just signed in at the identity provider: Harbor's
 * web login in the same browser passes through on that SSO session and stores a fresh token for Harbor.
 */
async function reviveHarborSession(harbor: HarborClient, user: HarborUser, request: SignInRequest<unknown>): Promise<boolean> {
  await request.openBrowser(harbor.webLoginUrl);
  const tokenService = await discoverTokenService(harbor.fetch, harbor.base.href);
  const deadline = Date.now() + Math.min(request.timeoutMs, 120_000);
  while (Date.now() < deadline) {
    await sleep(1000);
    if ((await checkBasicCredentials(harbor.fetch, tokenService, user.username, user.cliSecret)) === 'accepted') return true;
  }
  return false;
}

/** Browser sign-in with Berth's own client, then the CLI secret from Harbor, checked on the token service the way docker will use it. */
async function signIn<T>(registry: HarborOidcSettings, request: SignInRequest<T>): Promise<T> {
  if (request.pasted) {
    throw new BerthError('usage', `${registry.name} signs in through Berth's own client at ${registry.issuer}; a pasted CLI secret is only for registries that use Harbor's web login.`, {
      registry: registry.name,
    });
  }
  const harbor = harborClient(registry);
  await harbor.requireOidc();
  const settings = oidcSettings(registry);
  const config = await discover(settings);
  return signInWithBrowser(config, settings, {
    scopes: registry.scopes,
    authParams: registry.authParams,
    openBrowser: request.openBrowser,
    timeoutMs: request.timeoutMs,
    ...(request.onCallback ? { onCallback: request.onCallback } : {}),
    complete: async (tokens) => {
      const user = await harbor.currentUser(idTokenAuth(tokens.idToken));
      if (!user) throw await explainAnonymous(harbor, tokens, registry);
      let accepted = (await checkCliSecret(harbor, user.username, user.cliSecret)) === 'accepted';
      if (!accepted) accepted = await reviveHarborSession(harbor, user, request);
      return request.complete({
        host: harbor.host,
        username: user.username,
        userId: user.userId,
        cliSecret: user.cliSecret,
        accepted,
        ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
        ...(tokens.sessionExpiresAt ? { sessionExpiresAt: tokens.sessionExpiresAt } : {}),
        webLoginUrl: harbor.webLoginUrl,
      });
    },
  });
}

type BerthSession = { tokens: Tokens } | { ended: BerthError };

/** Refresh grant with the stored refresh token; the rotated one is stored before anything else, as the old one is spent. */
async function refreshBerthSession(registry: HarborOidcSettings, deps: MethodDependencies): Promise<BerthSession> {
  const refreshToken = await deps.secrets.get(registry.name, 'refresh-token');
  if (!refreshToken) {
    return { ended: new BerthError('session-ended', `Berth holds no session for ${registry.name} (the identity provider gave it no refresh token).`, { registry: registry.name }) };
  }
  const settings = oidcSettings(registry);
  try {
    const tokens = await refreshTokens(await discover(settings), settings, refreshToken);
    if (tokens.refreshToken && tokens.refreshToken !== refreshToken) await deps.secrets.set(registry.name, 'refresh-token', tokens.refreshToken);
    return { tokens };
  } catch (error) {
    if (error instanceof BerthError && error.code === 'session-ended') return { ended: error };
    throw error;
  }
}

/**
 * One keep-alive pass: refresh Berth's own session, then use the CLI secret on `/service/token`, which makes
 * Harbor refresh the session it stores for the user. A rejected secret is fetched again in case it was
 * regenerated elsewhere; if Harbor still rejects it, Harbor's session is dead and only a web login revives it.
 */
async function keepAlive(registry: HarborOidcSettings, username: string | undefined, deps: MethodDependencies): Promise<SessionOutcome> {
  const harbor = harborClient(registry);
  const berth = await refreshBerthSession(registry, deps);
  const sessionExpiresAt = 'tokens' in berth ? berth.tokens.sessionExpiresAt : undefined;
  const expiry = sessionExpiresAt ? { sessionExpiresAt } : {};
  const noSecret = { state: 'needs-sign-in', keptAlive: false, username: username ?? '', lastError: `Berth holds no CLI secret for ${registry.name}: ${signInAgain(registry)}.` } as const;
  if (!username) return noSecret;
  const inUse = await useStoredSecret(harbor, registry, username, deps, async () => {
    if (!('tokens' in berth)) return null;
    const user = await harbor.currentUser(idTokenAuth(berth.tokens.idToken));
    if (!user) throw await explainAnonymous(harbor, berth.tokens, registry);
    return user;
  });
  if (!inUse) return noSecret;
  const written = inUse.writtenTo ? { writtenTo: inUse.writtenTo } : {};
  if ('ended' in berth) {
    const lastError =
      inUse.verdict === 'accepted'
        ? `${berth.ended.message} Docker credentials still work and Berth keeps them alive, but ${signInAgain(registry)} so Berth can pick up or regenerate the CLI secret.`
        : `Both Berth's session and Harbor's session for ${inUse.username} at ${harbor.host} have ended: ${signInAgain(registry)}; one sign-in renews both.`;
    return { state: 'needs-sign-in', keptAlive: inUse.verdict === 'accepted', username: inUse.username, lastError, ...written };
  }
  if (inUse.verdict === 'accepted') return { state: 'valid', keptAlive: true, username: inUse.username, ...expiry, ...written };
  return { state: 'needs-web-login', keptAlive: false, username: inUse.username, lastError: webLoginNeeded(harbor, inUse.username), actionUrl: harbor.webLoginUrl, ...expiry, ...written };
}

/** A new CLI secret set in Harbor with Berth's ID token, written to every credential target, then checked the way docker will use it. */
function regenerate(registry: HarborOidcSettings, deps: MethodDependencies): Promise<SessionOutcome> {
  // The refresh token rotates here: no other process may refresh meanwhile.
  return deps.exclusive(() => regenerateLocked(registry, deps));
}

async function regenerateLocked(registry: HarborOidcSettings, deps: MethodDependencies): Promise<SessionOutcome> {
  const berth = await refreshBerthSession(registry, deps);
  if ('ended' in berth) {
    throw new BerthError('session-ended', `Cannot regenerate the CLI secret of ${registry.name}: ${berth.ended.message}`, { registry: registry.name });
  }
  const harbor = harborClient(registry);
  const auth = idTokenAuth(berth.tokens.idToken);
  const user = await harbor.currentUser(auth);
  if (!user) throw await explainAnonymous(harbor, berth.tokens, registry);
  const secret = newCliSecret();
  rememberSecret(secret);
  await harbor.setCliSecret(auth, user.userId, secret);
  const writtenTo = await installSecret(registry, user.username, secret, deps);
  return verifiedNewSecret(harbor, user.username, secret, writtenTo, berth.tokens.sessionExpiresAt);
}

/** Ends Berth's session at the identity provider. */
async function signOut(registry: HarborOidcSettings, refreshToken: string | null) {
  if (!refreshToken) return { revoked: false, warnings: [] };
  const settings = oidcSettings(registry);
  return { revoked: await revokeRefreshToken(await discover(settings), settings, refreshToken), warnings: [] };
}

/** Method `oidc`: Berth's own public client at the identity provider, registered by an administrator. */
export const harborOidc: CredentialMethod<HarborOidcSettings> = { name: 'oidc', signIn, keepAlive, regenerate, signOut };
