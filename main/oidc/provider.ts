import * as oidc from 'openid-client';
import { BerthError, errorMessage } from '../errors.js';
import { httpClient, isLoopbackHost, networkError, requireSecureUrl } from '../net/http.js';
import { rememberSecret } from '../log/redact.js';
import { listenForCallback } from './loopback.js';
import { preflightAuthorization } from './preflight.js';

export interface OidcClientSettings {
  registry: string;
  issuer: string;
  clientId: string;
  caFile?: string | undefined;
}

export interface Tokens {
  idToken: string;
  accessToken: string;
  refreshToken?: string;
  /** When Berth's own session (the refresh token) ends, if the provider says (`refresh_expires_in` > 0). */
  sessionExpiresAt?: Date;
  claims: { sub: string; aud: string[]; azp?: string };
}

/** Opens a URL in a browser; the system browser in the app, `--browser-command` in the CLI, a driver in tests. */
export type BrowserOpener = (url: string) => Promise<void>;

function customFetchFor(caFile: string | undefined): oidc.CustomFetch {
  const fetch = httpClient({ caFile });
  return ((url: string, options: oidc.CustomFetchOptions) => fetch(url, options as never)) as unknown as oidc.CustomFetch;
}

/** OIDC discovery with the registry's CA; http issuers only on loopback addresses. */
export async function discover(settings: OidcClientSettings): Promise<oidc.Configuration> {
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

function tokensFrom(response: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, registry: string): Tokens {
  const claims = response.claims();
  if (!response.id_token || !claims) {
    throw new BerthError('oidc', `The identity provider sent no ID token for ${registry}; is "openid" in the scopes?`, { registry });
  }
  rememberSecret(response.id_token);
  rememberSecret(response.access_token);
  rememberSecret(response.refresh_token);
  const refreshExpiresIn = Number((response as { refresh_expires_in?: unknown }).refresh_expires_in);
  return {
    idToken: response.id_token,
    accessToken: response.access_token,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    ...(refreshExpiresIn > 0 ? { sessionExpiresAt: new Date(Date.now() + refreshExpiresIn * 1000) } : {}),
    claims: {
      sub: claims.sub,
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
  /** Berth's work with the new tokens; the browser tab shows its outcome, so a person sees the whole sign-in's result. */
  complete: (tokens: Tokens) => Promise<{ value: T; message: string }>;
}

/** Authorization code flow with PKCE S256, state and nonce over a one-shot loopback listener. */
export async function signInWithBrowser<T>(config: oidc.Configuration, settings: OidcClientSettings, options: LoopbackSignInOptions<T>): Promise<T> {
  const { registry } = settings;
  const listener = await listenForCallback(options.timeoutMs);
  try {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
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
      throw new BerthError(code, `The identity provider refused the sign-in to ${registry}: ${error}${description ? ` (${description})` : ''}.`, { registry });
    }
    if (callbackUrl.searchParams.get('state') !== state) {
      throw new BerthError('state-mismatch', `Sign-in to ${registry} came back with the wrong "state": it was not started by this Berth window, or it was tampered with. Nothing was saved; sign in again.`, {
        registry,
      });
    }
    let tokens: Tokens;
    try {
      tokens = tokensFrom(await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true }), registry);
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
    listener.close();
  }
}

/** Refresh grant; the provider may rotate the refresh token, so callers store the new one before anything else. */
export async function refreshTokens(config: oidc.Configuration, settings: OidcClientSettings, refreshToken: string): Promise<Tokens> {
  try {
    return tokensFrom(await oidc.refreshTokenGrant(config, refreshToken), settings.registry);
  } catch (error) {
    throw oidcError(error, settings, 'refresh the session');
  }
}

/** Revokes a refresh token at the provider (RFC 7009); providers without a revocation endpoint are skipped. */
export async function revokeRefreshToken(config: oidc.Configuration, settings: OidcClientSettings, refreshToken: string): Promise<boolean> {
  if (!config.serverMetadata().revocation_endpoint) return false;
  try {
    await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
    return true;
  } catch (error) {
    throw oidcError(error, settings, 'revoke the session');
  }
}

function oidcError(error: unknown, settings: OidcClientSettings, action: string): BerthError {
  if (error instanceof BerthError) return error;
  const { registry } = settings;
  if (error instanceof oidc.ResponseBodyError || error instanceof oidc.AuthorizationResponseError) {
    const description = error.error_description ? ` (${error.error_description})` : '';
    if (error.error === 'invalid_grant') {
      return new BerthError('session-ended', `The identity provider ended Berth's session for ${registry} (invalid_grant${description}): sign in again.`, { registry, cause: error });
    }
    return new BerthError('oidc', `Could not ${action} for ${registry}: the identity provider said ${error.error}${description}.`, { registry, cause: error });
  }
  if (error instanceof oidc.ClientError && error.cause === undefined) {
    return new BerthError('oidc', `Could not ${action} for ${registry}: ${error.message}.`, { registry, cause: error });
  }
  const cause = error instanceof oidc.ClientError && error.cause ? error.cause : error;
  if (cause instanceof Error && (cause.name === 'TypeError' || cause.name === 'TimeoutError' || 'code' in cause)) {
    return networkError(cause, settings.issuer, registry);
  }
  return new BerthError('oidc', `Could not ${action} for ${registry}: ${errorMessage(error)}.`, { registry, cause: error });
}
