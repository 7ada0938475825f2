import * as oidc from 'openid-client';
import { BerthError, errorMessage } from '../errors.js';
import { httpClient, isLoopbackHost, networkError, requireSecureUrl } from '../net/http.js';
import { printable } from '../log/printable.js';
import { rememberSecret } from '../log/redact.js';
import { listenForCallback } from './loopback.js';
import { preflightAuthorization } from './preflight.js';

export interface OidcClientSettings {
  registry: string;
  issuer: string;
  clientId: string;
  caFile?: string | undefined;
  /** A fixed loopback port, for providers that match redirect URIs exactly; absent: one the OS picks. */
  loopbackPort?: number | undefined;
}

export interface Tokens {
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** Whether the provider granted offline access; `false`: the refresh token is bound to the browser's session (hours). */
  offline: boolean;
  /** When Berth's own session (the refresh token) ends, if the provider says (`refresh_expires_in` > 0, or a JWT refresh token's `exp`). */
  sessionExpiresAt?: Date;
  claims: { sub: string; iss: string; aud: string[]; azp?: string };
}

/** Opens a URL in a browser; the system browser in the app, `--browser-command` in the CLI, a driver in tests. */
export type BrowserOpener = (url: string) => Promise<void>;

function customFetchFor(caFile: string | undefined): oidc.CustomFetch {
  const fetch = httpClient({ caFile });
  return ((url: string, options: oidc.CustomFetchOptions) => fetch(url, options as never)) as unknown as oidc.CustomFetch;
}

// A long-running process (the app, `berth keepalive`) asks each provider for its metadata once an hour, not on every pass.
const discoveryMaxAgeMs = 60 * 60_000;
const discovered = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();

/** OIDC discovery with the registry's CA; http issuers only on loopback addresses. Remembered for an hour in this process. */
export function discover(settings: OidcClientSettings): Promise<oidc.Configuration> {
  const key = JSON.stringify([settings.issuer, settings.clientId, settings.caFile ?? null]);
  const known = discovered.get(key);
  if (known && Date.now() - known.at < discoveryMaxAgeMs) return known.config;
  const config = discoverNow(settings);
  discovered.set(key, { at: Date.now(), config });
  config.catch(() => discovered.delete(key));
  return config;
}

async function discoverNow(settings: OidcClientSettings): Promise<oidc.Configuration> {
  const issuer = requireSecureUrl(settings.issuer, `The issuer of ${settings.registry}`);
  const options: oidc.DiscoveryRequestOptions = {
    [oidc.customFetch]: customFetchFor(settings.caFile),
    ...(issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname) ? { execute: [oidc.allowInsecureRequests] } : {}),
  };
  try {
    return await oidc.discovery(issuer, settings.clientId, { token_endpoint_auth_method: 'none' }, oidc.None(), options);
  } catch (error) {
    throw oidcError(error, settings, `discover the identity provider at ${issuer.href}`);
  }
}

/** A JWT refresh token's `exp` (Keycloak's are JWTs); opaque tokens say nothing. */
function jwtExpiry(token: string | undefined): number | undefined {
  const payload = token?.split('.')[1];
  if (!payload || token?.split('.').length !== 3) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && exp > 0 ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** When the refresh token's session ends: `refresh_expires_in` (0 means no end), else a JWT refresh token's `exp`. */
function sessionEnd(response: oidc.TokenEndpointResponse): Date | undefined {
  const refreshExpiresIn = Number((response as { refresh_expires_in?: unknown }).refresh_expires_in);
  if (refreshExpiresIn > 0) return new Date(Date.now() + refreshExpiresIn * 1000);
  if (refreshExpiresIn === 0) return undefined;
  const exp = jwtExpiry(response.refresh_token);
  return exp === undefined ? undefined : new Date(exp);
}

/** What a token answer means for Berth: the tokens, whether offline access was granted, and when the session ends. */
export function tokensFrom(response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, registry: string, requestedScopes: string): Tokens {
  const claims = response.claims();
  if (!response.id_token || !claims) {
    throw new BerthError('oidc', `The identity provider sent no ID token for ${registry}; is "openid" in the scopes?`, { registry });
  }
  rememberSecret(response.id_token);
  rememberSecret(response.access_token);
  rememberSecret(response.refresh_token);
  // No `scope` in the answer means the one requested (RFC 6749 §5.1).
  const granted = (response.scope ?? requestedScopes).split(/\s+/);
  const expiresAt = response.refresh_token ? sessionEnd(response) : undefined;
  return {
    idToken: response.id_token,
    accessToken: response.access_token,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    offline: Boolean(response.refresh_token) && granted.includes('offline_access'),
    ...(expiresAt ? { sessionExpiresAt: expiresAt } : {}),
    claims: {
      sub: claims.sub,
      iss: claims.iss,
      aud: Array.isArray(claims.aud) ? claims.aud : [claims.aud],
      ...(typeof claims.azp === 'string' ? { azp: claims.azp } : {}),
    },
  };
}

export interface LoopbackSignInOptions<T> {
  scopes: string;
  authParams: Record<string, string>;
  openBrowser: BrowserOpener;
  timeoutMs: number;
  /** Called when the browser has come back with a code; the rest is Berth's own work (benchmarks measure from here). */
  onCallback?: () => void;
  /** Aborting it stops waiting for the browser. */
  signal?: AbortSignal;
  /** Berth's work with the new tokens; the browser tab shows its outcome, so a person sees the whole sign-in's result. */
  complete: (tokens: Tokens) => Promise<{ value: T; message: string }>;
}

/** Authorization code flow with PKCE S256, state and nonce over a one-shot loopback listener. */
export async function signInWithBrowser<T>(config: oidc.Configuration, settings: OidcClientSettings, options: LoopbackSignInOptions<T>): Promise<T> {
  const { registry } = settings;
  const state = oidc.randomState();
  const listener = await listenForCallback(options.timeoutMs, state, settings.loopbackPort, registry);
  const stop = () => listener.close();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      ...options.authParams,
      redirect_uri: listener.redirectUri,
      scope: options.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    await preflightAuthorization(authorizationUrl, listener.redirectUri, settings);
    await options.openBrowser(authorizationUrl.href);
    const callbackUrl = await listener.callback;
    options.onCallback?.();

    const error = callbackUrl.searchParams.get('error');
    if (error) {
      const description = callbackUrl.searchParams.get('error_description');
      const code = error === 'access_denied' ? 'access-denied' : 'oidc';
      throw new BerthError(code, `The identity provider refused the sign-in to ${registry}: ${printable(error, 100)}${description ? ` (${printable(description, 300)})` : ''}.`, { registry });
    }
    let tokens: Tokens;
    try {
      tokens = tokensFrom(await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }), registry, options.scopes);
    } catch (grantError) {
      throw oidcError(grantError, settings, 'finish the sign-in');
    }
    const { value, message } = await options.complete(tokens);
    listener.finish({ ok: true, title: 'Signed in', detail: `${message} You can close this tab.` });
    return value;
  } catch (error) {
    listener.finish({ ok: false, title: 'Sign-in failed', detail: `${errorMessage(error)} You can close this tab.` });
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    listener.close();
  }
}

/** Refresh grant; the provider may rotate the refresh token, so callers store the new one before anything else. */
export async function refreshTokens(config: oidc.Configuration, settings: OidcClientSettings, refreshToken: string, scopes: string): Promise<Tokens> {
  try {
    return tokensFrom(await oidc.refreshTokenGrant(config, refreshToken), settings.registry, scopes);
  } catch (error) {
    // Any OAuth error answer to a refresh means the session is over, whatever code the provider chose (invalid_grant, invalid_request, ...).
    if (error instanceof oidc.ResponseBodyError) {
      const description = error.error_description ? `: ${printable(error.error_description, 300)}` : '';
      throw new BerthError('session-ended', `The identity provider ended Berth's session for ${settings.registry} (${printable(error.error, 100)}${description}).`, { registry: settings.registry, cause: error });
    }
    // An error page without an OAuth error (a 502 from a proxy, a 429) says nothing about the session: retried like the network.
    const status = errorStatus(error);
    if (status !== undefined) throw providerFailing(status, settings, 'refresh the session');
    throw oidcError(error, settings, 'refresh the session');
  }
}

/** The HTTP status of an error answer that carried no OAuth error (openid-client keeps the response as the cause). */
function errorStatus(error: unknown): number | undefined {
  if (!(error instanceof oidc.ClientError) || (error.code !== 'OAUTH_RESPONSE_IS_NOT_CONFORM' && error.code !== 'OAUTH_RESPONSE_IS_NOT_JSON')) return undefined;
  const status = (error.cause as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 ? status : undefined;
}

/** The provider, or a proxy in front of it, is failing for now (a restart, an overload): offline, not a verdict on the session. */
function providerFailing(status: number, settings: OidcClientSettings, action: string): BerthError {
  return new BerthError(
    'unreachable',
    `Could not ${action} for ${settings.registry}: the identity provider at ${new URL(settings.issuer).host} answered HTTP ${status} without an OAuth answer, so it (or a proxy in front of it) is failing for now.`,
    { registry: settings.registry },
  );
}

/** How a sign-out at the identity provider went: revoked, or why not. */
export interface Revocation {
  revoked: boolean;
  warning?: string;
}

/** A sign-out that left Berth's session alive at the provider, in plain words: what happened, what it means, what ends it. */
export function sessionLingers(issuer: string, reason: string): string {
  return (
    `Berth could not end its session at the identity provider at ${new URL(issuer).host}: ${reason.replace(/\.$/, '')}. ` +
    `Berth deleted its own copy, but the provider keeps the session valid until it expires there, which can take weeks. ` +
    `To end it sooner, sign out of your sessions in the provider's account page, or ask its administrator to end them.`
  );
}

/** A sign-out whose end Berth could not confirm: what it did, why it cannot tell, what that means, what makes sure. */
export function sessionMayLinger(issuer: string, reason: string): string {
  return (
    `Berth asked the identity provider at ${new URL(issuer).host} to end its session through its logout endpoint (it has no revocation endpoint), ` +
    `but could not confirm that it did: ${reason.replace(/\.$/, '')}. Berth deleted its own copy; if the session survived, the provider keeps it valid until it expires there, which can take weeks. ` +
    `To be sure, sign out of your sessions in the provider's account page, or ask its administrator to end them.`
  );
}

/** Whether the provider still holds the refresh token active (RFC 7662), asked without using it; or why the provider will not say. */
async function stillActive(config: oidc.Configuration, refreshToken: string): Promise<{ active: boolean } | { unknown: string }> {
  if (!config.serverMetadata().introspection_endpoint) return { unknown: 'it offers no token introspection, and trying the token again would renew the session if it survived' };
  try {
    return { active: (await oidc.tokenIntrospection(config, refreshToken, { token_type_hint: 'refresh_token' })).active };
  } catch (error) {
    const said = error instanceof oidc.ResponseBodyError ? `${error.error}${error.error_description ? ` (${error.error_description})` : ''}` : printable(errorMessage(error), 200);
    return { unknown: `its token introspection did not answer Berth (${said})` };
  }
}

/**
 * Ends Berth's session at the provider: RFC 7009 revocation where it has the endpoint; else its logout endpoint with the
 * refresh token (Keycloak's ends offline sessions that way), confirmed by token introspection where the provider offers it
 * (trying the token again would reset the idle time of a session that survived); else says it could not.
 */
export async function revokeRefreshToken(config: oidc.Configuration, settings: OidcClientSettings, refreshToken: string): Promise<Revocation> {
  const metadata = config.serverMetadata();
  if (metadata.revocation_endpoint) {
    try {
      await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
      return { revoked: true };
    } catch (error) {
      throw oidcError(error, settings, 'revoke the session');
    }
  }
  if (!metadata.end_session_endpoint) {
    return { revoked: false, warning: sessionLingers(metadata.issuer, 'it offers neither a revocation nor a logout endpoint') };
  }
  try {
    const response = await httpClient({ caFile: settings.caFile })(metadata.end_session_endpoint, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: settings.clientId, refresh_token: refreshToken }),
    });
    await response.body?.cancel();
  } catch (error) {
    throw oidcError(error, settings, 'end the session');
  }
  const after = await stillActive(config, refreshToken);
  if ('unknown' in after) return { revoked: false, warning: sessionMayLinger(metadata.issuer, after.unknown) };
  if (!after.active) return { revoked: true };
  return { revoked: false, warning: sessionLingers(metadata.issuer, 'it has no revocation endpoint, and its logout endpoint did not end the session') };
}

type Chain = { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };

function* chain(error: unknown): Generator<Chain> {
  for (let current = error as Chain | undefined; current && typeof current === 'object'; current = current.cause as Chain | undefined) yield current;
}

// openid-client and jose name their own checks OAUTH_* and ERR_JW*: the provider answered, but not acceptably.
function protocolChecks(error: unknown): string[] {
  const checks = [...chain(error)].filter((link) => typeof link.code === 'string' && /^(OAUTH_|ERR_JW)/.test(link.code)).map((link) => printable(String(link.message), 200));
  return [...new Set(checks)];
}

/** Berth's own size cap, or a deadline that ran out (Berth's or openid-client's), however deep openid-client wrapped it. */
function ownLimit(error: unknown): Error | undefined {
  for (let current = error as { name?: unknown; cause?: unknown } | undefined; current && typeof current === 'object'; current = current.cause as typeof current) {
    if (current instanceof BerthError || (current instanceof Error && current.name === 'TimeoutError')) return current;
  }
  return undefined;
}

/** Any failure of a request to the identity provider as a BerthError: its own words, a protocol check, or the network. */
export function oidcError(error: unknown, settings: OidcClientSettings, action: string): BerthError {
  if (error instanceof BerthError) return error;
  const { registry } = settings;
  const limit = ownLimit(error);
  if (limit instanceof BerthError) return new BerthError(limit.code, limit.message, { registry, cause: error });
  if (limit) return networkError(limit, settings.issuer, registry);
  if (error instanceof oidc.ResponseBodyError || error instanceof oidc.AuthorizationResponseError) {
    // The provider's own words, without control characters.
    const description = error.error_description ? ` (${printable(error.error_description, 300)})` : '';
    if (error.error === 'invalid_grant') {
      return new BerthError('session-ended', `The identity provider ended Berth's session for ${registry} (invalid_grant${description}): sign in again.`, { registry, cause: error });
    }
    return new BerthError('oidc', `Could not ${action} for ${registry}: the identity provider said ${printable(error.error, 100)}${description}.`, { registry, cause: error });
  }
  const status = errorStatus(error);
  if (status !== undefined && status >= 500) return providerFailing(status, settings, action);
  const host = new URL(settings.issuer).host;
  const checks = protocolChecks(error);
  if (checks.length > 0 || (error instanceof oidc.ClientError && error.cause === undefined)) {
    return new BerthError('oidc', `Could not ${action} for ${registry}: the identity provider at ${host} sent an answer Berth cannot accept (${checks.join(': ') || errorMessage(error)}).`, { registry, cause: error });
  }
  return networkError(error instanceof oidc.ClientError && error.cause ? error.cause : error, settings.issuer, registry);
}
