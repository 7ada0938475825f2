import * as oidc from 'openid-client';
import { BerthError } from '../errors.js';
import { printable } from '../log/printable.js';
import { rememberSecret } from '../log/redact.js';
import { oidcError, tokensFrom, type OidcClientSettings, type Tokens } from './provider.js';

/** What the person needs to finish a device sign-in on another device: where to go and the code to type. */
export interface DeviceCode {
  verificationUri: string;
  /** The same page with the code filled in, where the provider offers one (for a link or a QR code). */
  verificationUriComplete?: string;
  userCode: string;
  expiresAt: Date;
}

export interface DeviceSignInOptions<T> {
  scopes: string;
  authParams: Record<string, string>;
  /** Shows the URL and code to the person; Berth then waits for the provider, polling at the pace it asks for. */
  show: (code: DeviceCode) => void | Promise<void>;
  /** Aborting it stops waiting. */
  signal?: AbortSignal;
  complete: (tokens: Tokens) => Promise<{ value: T; message: string }>;
}

/** Whether the provider advertises the device authorization grant (RFC 8628) in its discovery document. */
export function offersDeviceGrant(config: oidc.Configuration): boolean {
  return typeof config.serverMetadata().device_authorization_endpoint === 'string';
}

/** What an administrator must turn on for a device sign-in, and the way that works without it. */
export function deviceGrantMissing(settings: OidcClientSettings, why: string, registry = settings.registry): BerthError {
  return new BerthError(
    'oidc',
    `${why} The identity provider's administrator must enable the OAuth 2.0 device authorization grant (RFC 8628) for Berth's client "${settings.clientId}" ` +
      `(Keycloak: the client's Capability config → "OAuth 2.0 Device Authorization Grant"). Until then, sign in through Harbor's web login, which needs no browser here: ` +
      `\`berth remove ${registry}\`, then add it again without --client-id (or with a profile that has none), and \`berth login ${registry}\` asks for the CLI secret from Harbor's User Profile page.`,
    { registry },
  );
}

/**
 * The device authorization grant (RFC 8628): the provider hands out a code the person types at its verification URL on
 * any device; Berth polls the token endpoint at the interval the provider asks for (slowing down when told to) until the
 * person has signed in there, refused, or the code expired.
 */
export async function signInWithDevice<T>(config: oidc.Configuration, settings: OidcClientSettings, options: DeviceSignInOptions<T>): Promise<T> {
  const { registry } = settings;
  let authorization: oidc.DeviceAuthorizationResponse;
  try {
    authorization = await oidc.initiateDeviceAuthorization(config, { ...options.authParams, scope: options.scopes });
  } catch (error) {
    // Providers word it differently: oidc-provider says invalid_request "… device_code is not allowed for this client", Keycloak unauthorized_client.
    if (error instanceof oidc.ResponseBodyError && (['unauthorized_client', 'unsupported_grant_type'].includes(error.error) || /device_code|device/i.test(error.error_description ?? ''))) {
      const said = `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
      throw deviceGrantMissing(settings, `The identity provider at ${new URL(settings.issuer).host} does not allow the device sign-in for the client "${settings.clientId}" (${printable(said, 200)}).`);
    }
    throw oidcError(error, settings, 'start the device sign-in');
  }
  rememberSecret(authorization.device_code);
  const expiresAt = new Date(Date.now() + authorization.expires_in * 1000);
  await options.show({
    verificationUri: authorization.verification_uri,
    ...(authorization.verification_uri_complete ? { verificationUriComplete: authorization.verification_uri_complete } : {}),
    userCode: authorization.user_code,
    expiresAt,
  });
  // The code's own lifetime bounds the wait; breaking off (Ctrl-C, another sign-in) ends it sooner.
  const signal = AbortSignal.any([AbortSignal.timeout(authorization.expires_in * 1000), ...(options.signal ? [options.signal] : [])]);
  let tokens: Tokens;
  try {
    tokens = tokensFrom(await oidc.pollDeviceAuthorizationGrant(config, authorization, undefined, { signal }), registry, options.scopes);
  } catch (error) {
    const code = error instanceof oidc.ResponseBodyError ? error.error : undefined;
    if (code === 'access_denied') {
      throw new BerthError('access-denied', `The sign-in to ${registry} was refused at the identity provider (access_denied): someone chose not to allow it on the verification page. Run \`berth login ${registry}\` again to start over.`, { registry });
    }
    if (code === 'expired_token' || (signal.aborted && !options.signal?.aborted)) {
      throw new BerthError('timeout', `The code ${authorization.user_code} for ${registry} expired before the sign-in was finished at ${authorization.verification_uri}. Run \`berth login ${registry}\` again for a new code.`, { registry });
    }
    if (options.signal?.aborted) throw new BerthError('cancelled', 'The sign-in was broken off; nothing changed.', { registry });
    throw oidcError(error, settings, 'finish the device sign-in');
  }
  return (await options.complete(tokens)).value;
}

