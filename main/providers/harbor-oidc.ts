import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.js';
import { idTokenAuth, type HarborClient, type HarborUser } from '../harbor/client.js';
import { newCliSecret } from '../harbor/cli-secret.js';
import { readHarborLogin } from '../harbor/login-redirect.js';
import { rememberSecret } from '../log/redact.js';
import { deviceGrantMissing, offersDeviceGrant, signInWithDevice } from '../oidc/device.js';
import { discover, refreshTokens, revokeRefreshToken, sessionLingers, signInWithBrowser, type OidcClientSettings, type Tokens } from '../oidc/provider.js';
import { checkBasicCredentials, discoverTokenService } from '../registry/token-auth.js';
import type { SecretStore } from '../secrets/keychain.js';
import type { HarborOidcSettings } from '../settings/model.js';
import { despiteStop } from '../net/stop-signal.js';
import { prepareHarborOidc } from './harbor-settings.js';
import { harborClient, harborSessionNotices, putNewSecret, signInAgain, useStoredSecret, verdictAfterRecheck, verifiedNewSecret, webLoginNeeded } from './harbor-cli-secret.js';
import type { CredentialMethod, DeviceSignInChoice, MethodDependencies, SessionOutcome, SignedInSession, SignInRequest } from './method.js';

const dayMs = 86_400_000;
// Below this, a refresh is too soon after the last one to tell an idle window (the end moves on) from a fixed end (it stays).
const minimumObservationMs = 5_000;

export function oidcSettings(registry: HarborOidcSettings): OidcClientSettings {
  return { registry: registry.name, issuer: registry.issuer, clientId: registry.clientId, caFile: registry.caFile, loopbackPort: registry.loopbackPort };
}

/**
 * The authorization request's extras: `prompt=consent` when asking for offline access, since a provider may grant it only
 * then (OIDC Core §11) and silently give a session-bound token otherwise; a `prompt` in the settings wins (empty: none).
 */
export function authorizationParams(registry: HarborOidcSettings): Record<string, string> {
  const params = { ...registry.authParams };
  if (params.prompt === undefined && registry.scopes.split(/\s+/).includes('offline_access')) params.prompt = 'consent';
  if (params.prompt === '') delete params.prompt;
  return params;
}

/** Harbor answered the ID token as anonymous: another issuer, an audience without Harbor's client, or a user Harbor does not know. */
export async function explainAnonymous(harbor: HarborClient, tokens: Tokens, registry: HarborOidcSettings): Promise<BerthError> {
  const login = await readHarborLogin(harbor, registry.caFile).catch(() => null);
  if (login?.issuer && login.issuer !== tokens.claims.iss.replace(/\/$/, '')) {
    return new BerthError(
      'issuer',
      `Harbor at ${harbor.host} trusts ID tokens only from the issuer "${login.issuer}", but Berth signed in at "${tokens.claims.iss}" ` +
        `(the same identity provider under another name counts as another issuer). Add the registry again with --issuer ${login.issuer}, ` +
        `or sign in through Harbor's web login, which needs no issuer: \`berth remove ${registry.name}\`, then add it again without --client-id.`,
      { registry: registry.name },
    );
  }
  const harborClientId = login?.clientId;
  if (harborClientId && !tokens.claims.aud.includes(harborClientId)) {
    return new BerthError(
      'audience',
      `Harbor at ${harbor.host} did not accept the ID token for ${registry.name}: Harbor accepts only ID tokens issued to its own client "${harborClientId}" as well, ` +
        `and this one names only ${tokens.claims.aud.map((a) => `"${a}"`).join(', ')}. The identity provider must also put "${harborClientId}" into the audience ("aud") ` +
        `of the ID tokens it issues to the client "${registry.clientId}". Keycloak: an Audience mapper on that client with "Add to ID token" on. ` +
        `Entra ID, Okta and Google cannot do this: there, sign in through Harbor's web login, which needs nothing registered (\`berth remove ${registry.name}\`, then add it again without --client-id).`,
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
 * Every use of a dead secret makes Harbor try (and log) a refresh at the provider, so it is not asked every second.
 */
async function reviveHarborSession(harbor: HarborClient, user: HarborUser, request: SignInRequest<unknown>): Promise<boolean> {
  await request.openBrowser(harbor.webLoginUrl);
  const tokenService = await discoverTokenService(harbor.fetch, harbor.base.href);
  const deadline = Date.now() + Math.min(request.timeoutMs, 120_000);
  // The provider's fresh SSO session often passes Harbor's login straight through: look once soon, then every 3 s.
  for (let wait = 1000; Date.now() < deadline; wait = 3000) {
    await sleep(wait);
    if ((await checkBasicCredentials(harbor.fetch, tokenService, user.username, user.cliSecret)) === 'accepted') return true;
  }
  return false;
}

/**
 * When Berth's own session ends, as the provider says or the profile's `maxSessionDays` caps it, and whether keep-alive can
 * extend it: an idle window's end moves on by about the time since the last refresh; a fixed lifetime's stays where it was.
 */
function sessionEnd(registry: HarborOidcSettings, provided: Date | undefined, session: SignedInSession, now = Date.now()): { sessionExpiresAt?: Date; sessionFixed?: boolean } {
  const signedInAt = session.signedInAt?.getTime() ?? now;
  const cap = registry.maxSessionDays === undefined ? undefined : new Date(signedInAt + registry.maxSessionDays * dayMs);
  const end = [provided, cap].filter((date): date is Date => date !== undefined).sort((a, b) => a.getTime() - b.getTime())[0];
  if (!end) return {};
  const elapsed = session.renewedAt ? now - session.renewedAt.getTime() : 0;
  const moved = provided && session.sessionExpiresAt ? provided.getTime() - session.sessionExpiresAt.getTime() : undefined;
  const stuck = moved !== undefined && elapsed >= minimumObservationMs && moved < elapsed / 2;
  return { sessionExpiresAt: end, ...(cap !== undefined || stuck ? { sessionFixed: true } : {}) };
}

/** What the person should know about the session the provider gave Berth. */
function sessionNotices(registry: HarborOidcSettings, tokens: Tokens): string[] {
  const host = new URL(registry.issuer).host;
  const prompt = registry.authParams.prompt;
  const why = prompt === undefined ? '' : ` (your settings replaced Berth's prompt=consent with prompt=${prompt || 'none'}; some providers grant offline access only with consent)`;
  const fix =
    `The identity provider's administrator fixes this by granting offline_access to Berth's client "${registry.clientId}"` +
    `${prompt === undefined ? '' : `, or you do by dropping the prompt setting (\`berth remove ${registry.name}\` and add it again without it)`}.`;
  if (!tokens.refreshToken) {
    return [
      `The identity provider at ${host} gave Berth no session of its own: it did not grant offline_access${why}. Docker's credential works and Berth keeps Harbor's session alive, ` +
        `but to regenerate the CLI secret or pick up a new one Berth will ask you to sign in again. ${fix}`,
    ];
  }
  if (!tokens.offline) {
    const ends = tokens.sessionExpiresAt ? '' : ", which ends when your browser's sign-in session at the provider ends (it does not say when)";
    return [
      `The identity provider at ${host} gave Berth a session bound to your browser's sign-in instead of offline access${why}${ends}. ` +
        `When it ends Berth will ask you to sign in again; docker's credential and Harbor's own session are not affected. ${fix}`,
    ];
  }
  return [];
}

/**
 * Sign-in with Berth's own client: in the browser here (loopback, RFC 8252), or with a code on another device (RFC 8628)
 * when asked or when no browser can open; then the CLI secret from Harbor, checked on the token service the way docker
 * will use it.
 */
async function signIn<T>(registry: HarborOidcSettings, request: SignInRequest<T>, deps: MethodDependencies): Promise<T> {
  if (request.pasted) {
    throw new BerthError('usage', `${registry.name} signs in through Berth's own client at ${registry.issuer}; a pasted CLI secret is only for registries that use Harbor's web login.`, {
      registry: registry.name,
    });
  }
  const harbor = harborClient(registry);
  await harbor.requireOidc();
  const settings = oidcSettings(registry);
  const config = await discover(settings);
  const started = new Date();
  const finish =
    (openBrowser: SignInRequest<T>['openBrowser']) =>
    async (tokens: Tokens): Promise<{ value: T; message: string }> => {
      const user = await harbor.currentUser(idTokenAuth(tokens.idToken));
      if (!user) throw await explainAnonymous(harbor, tokens, registry);
      let accepted = (await verdictAfterRecheck(harbor, user.username, user.cliSecret, deps)) === 'accepted';
      if (!accepted) accepted = await reviveHarborSession(harbor, user, { ...request, openBrowser });
      return request.complete({
        host: harbor.host,
        username: user.username,
        userId: user.userId,
        cliSecret: user.cliSecret,
        accepted,
        ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
        ...sessionEnd(registry, tokens.sessionExpiresAt, { signedInAt: started }),
        ...(tokens.offline ? {} : { berthSession: tokens.refreshToken ? ('browser' as const) : ('none' as const) }),
        webLoginUrl: harbor.webLoginUrl,
        notices: [...sessionNotices(registry, tokens), ...(await harborSessionNotices(harbor))],
      });
    };
  const { device } = request;
  const host = new URL(registry.issuer).host;
  const withDevice = (choice: DeviceSignInChoice, why?: string): Promise<T> => {
    if (!offersDeviceGrant(config)) {
      const offers = `the identity provider at ${host} offers no device sign-in (its discovery document has no device_authorization_endpoint).`;
      throw deviceGrantMissing(settings, why ? `${why.replace(/\.$/, '')}, and ${offers}` : `${offers[0]?.toUpperCase()}${offers.slice(1)}`);
    }
    return signInWithDevice(config, settings, {
      scopes: registry.scopes,
      authParams: authorizationParams(registry),
      show: choice.show,
      ...(request.signal ? { signal: request.signal } : {}),
      complete: finish((url) => choice.openElsewhere(url)),
    });
  };
  if (device && device.when !== 'fallback') return withDevice(device, device.when === 'no-browser' ? device.reason : undefined);
  // Only a failure to open the authorization page turns into a device sign-in; one after the sign-in is its own error.
  let openerFailed: unknown;
  try {
    return await signInWithBrowser(config, settings, {
      scopes: registry.scopes,
      authParams: authorizationParams(registry),
      openBrowser: async (url) => {
        try {
          await request.openBrowser(url);
        } catch (error) {
          openerFailed = error;
          throw error;
        }
      },
      timeoutMs: request.timeoutMs,
      ...(request.onCallback ? { onCallback: request.onCallback } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      complete: finish(request.openBrowser),
    });
  } catch (error) {
    if (!device || error !== openerFailed || !(error instanceof BerthError) || error.code !== 'browser') throw error;
    return withDevice(device, error.message);
  }
}

/** Berth's own leg of a pass: renewed, ended by the provider, or not renewable now (network, an answer Berth cannot accept). */
type BerthSession = { tokens: Tokens } | { ended: BerthError } | { failed: BerthError };

// Rotated refresh tokens the keychain would not take yet, per keychain: the only live copy must not be lost with a failed write.
const unsaved = new WeakMap<SecretStore, Map<string, string>>();

/** Stores a rotated refresh token, trying the keychain a few times; until it takes it, this process keeps it. */
export async function keepRotatedToken(secrets: SecretStore, registry: string, token: string, retryMs = 250): Promise<void> {
  const pending = unsaved.get(secrets) ?? new Map<string, string>();
  unsaved.set(secrets, pending);
  pending.set(registry, token);
  for (let attempt = 1; ; attempt++) {
    try {
      await secrets.set(registry, 'refresh-token', token);
      if (pending.get(registry) === token) pending.delete(registry);
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      await sleep(retryMs * attempt);
    }
  }
}

/** The refresh token to use: one this process could not store yet, else the keychain's. */
export async function currentRefreshToken(secrets: SecretStore, registry: string): Promise<string | null> {
  return unsaved.get(secrets)?.get(registry) ?? (await secrets.get(registry, 'refresh-token', { expected: true }));
}

/** Refresh grant with the stored refresh token; the rotated one is stored before anything else, as the old one may be spent. */
async function refreshBerthSession(registry: HarborOidcSettings, deps: MethodDependencies): Promise<BerthSession> {
  const refreshToken = await currentRefreshToken(deps.secrets, registry.name);
  if (!refreshToken) {
    return { ended: new BerthError('session-ended', `Berth holds no session for ${registry.name} (the identity provider gave it no refresh token).`, { registry: registry.name }) };
  }
  const settings = oidcSettings(registry);
  try {
    const config = await discover(settings);
    // Not cut short by a stopping keep-alive: the provider may have rotated the refresh token already, and its answer is the only copy.
    const tokens = await despiteStop(() => refreshTokens(config, settings, refreshToken, registry.scopes));
    if (tokens.refreshToken && tokens.refreshToken !== refreshToken) await keepRotatedToken(deps.secrets, registry.name, tokens.refreshToken);
    return { tokens };
  } catch (error) {
    if (!(error instanceof BerthError)) throw error;
    return error.code === 'session-ended' ? { ended: error } : { failed: error };
  }
}

/**
 * One keep-alive pass: refresh Berth's own session, then — whatever happened to it — use the CLI secret on `/service/token`,
 * which makes Harbor refresh the session it stores for the user. A rejected secret is fetched again in case it was
 * regenerated elsewhere; if Harbor still rejects it, Harbor's session is dead and only a web login revives it.
 */
async function keepAlive(registry: HarborOidcSettings, session: SignedInSession, deps: MethodDependencies): Promise<SessionOutcome> {
  const harbor = harborClient(registry);
  const { username } = session;
  const berth = await refreshBerthSession(registry, deps);
  // A provider that answered without stating an end clears one stated before.
  const end = 'tokens' in berth ? { sessionExpiresAt: null, ...sessionEnd(registry, berth.tokens.sessionExpiresAt, session) } : {};
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
  const accepted = inUse.verdict === 'accepted';
  if ('ended' in berth && session.berthSession === 'none') {
    // Berth never had a session of its own here, so none ended: the sign-in's notice says why and who fixes it.
    if (accepted) return { state: 'valid', keptAlive: true, username: inUse.username, ...written };
    return { state: 'needs-web-login', keptAlive: false, username: inUse.username, lastError: webLoginNeeded(harbor, inUse.username), actionUrl: harbor.webLoginUrl, ...written };
  }
  if ('ended' in berth) {
    const lastError = accepted
      ? `${berth.ended.message} Docker credentials still work and Berth keeps Harbor's session alive, but ${signInAgain(registry)} so Berth can pick up or regenerate the CLI secret.`
      : `Both Berth's session and Harbor's session for ${inUse.username} at ${harbor.host} have ended: ${signInAgain(registry)}; one sign-in renews both.`;
    return { state: 'needs-sign-in', keptAlive: accepted, username: inUse.username, lastError, ...written };
  }
  if ('failed' in berth) {
    // Harbor refreshes at the same provider: while Berth cannot renew its own session there, Harbor's 401 proves nothing.
    if (!accepted) throw berth.failed;
    const state = berth.failed.code === 'unreachable' || berth.failed.code === 'tls' ? 'offline' : 'error';
    const lastError = `${berth.failed.message} Harbor's session for ${inUse.username} was kept alive and docker's credentials work; Berth tries its own session again soon.`;
    return { state, keptAlive: true, username: inUse.username, lastError, ...written };
  }
  if (accepted) return { state: 'valid', keptAlive: true, username: inUse.username, ...end, ...written };
  return { state: 'needs-web-login', keptAlive: false, username: inUse.username, lastError: webLoginNeeded(harbor, inUse.username), actionUrl: harbor.webLoginUrl, ...end, ...written };
}

/** A new CLI secret set in Harbor with Berth's ID token, written to every credential target, then checked the way docker will use it. */
function regenerate(registry: HarborOidcSettings, deps: MethodDependencies): Promise<SessionOutcome> {
  // The refresh token rotates here: no other process may refresh meanwhile.
  return deps.exclusive(() => regenerateLocked(registry, deps));
}

async function regenerateLocked(registry: HarborOidcSettings, deps: MethodDependencies): Promise<SessionOutcome> {
  const berth = await refreshBerthSession(registry, deps);
  if ('ended' in berth) {
    throw new BerthError('session-ended', `Cannot regenerate the CLI secret of ${registry.name}: ${berth.ended.message} Sign in again first.`, { registry: registry.name });
  }
  if ('failed' in berth) throw berth.failed;
  const harbor = harborClient(registry);
  const auth = idTokenAuth(berth.tokens.idToken);
  const user = await harbor.currentUser(auth);
  if (!user) throw await explainAnonymous(harbor, berth.tokens, registry);
  const secret = newCliSecret();
  rememberSecret(secret);
  const writtenTo = await putNewSecret(harbor, registry, user.username, secret, deps, () => harbor.setCliSecret(auth, user.userId, secret));
  return verifiedNewSecret(harbor, user.username, secret, writtenTo, deps, berth.tokens.sessionExpiresAt);
}

/** Ends Berth's session at the identity provider, or says why it could not. */
async function signOut(registry: HarborOidcSettings, refreshToken: string | null) {
  if (!refreshToken) return { revoked: false, warnings: [] };
  const settings = oidcSettings(registry);
  try {
    const { revoked, warning } = await revokeRefreshToken(await discover(settings), settings, refreshToken);
    return { revoked, warnings: warning ? [warning] : [] };
  } catch (error) {
    if (!(error instanceof BerthError)) throw error;
    return { revoked: false, warnings: [sessionLingers(registry.issuer, error.message)] };
  }
}

/** Method `oidc`: Berth's own public client at the identity provider, registered by an administrator. */
export const harborOidc: CredentialMethod<HarborOidcSettings> = { name: 'oidc', prepare: prepareHarborOidc, signIn, keepAlive, regenerate, signOut };
