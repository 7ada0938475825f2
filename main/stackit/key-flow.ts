import { BerthError } from '../errors.js';
import { httpClient, networkError } from '../net/http.js';
import { rememberSecret } from '../log/redact.js';
import { jwtClaims } from '../registry/jwt-claims.js';
import { signedAssertion, type ServiceAccountKey } from './key.js';

import type { AccessToken } from './cached-token.js';

export type { AccessToken } from './cached-token.js';

/** Where a deleted or revoked key is fixed. */
export const stackitPortal = 'https://portal.stackit.cloud/';

// key_flow.go GetAccessToken: the token endpoint's answer for a key it does not know (stackit-sdk-go#731).
const unknownKey = /Key with kid .*? was not found/;

/**
 * One access token from the key flow (key_flow.go `requestToken`): POST, form-encoded, the jwt-bearer grant with the signed
 * assertion, no client authentication. Only 200 is success; the token's end is its JWT `exp` (the SDK ignores `expires_in`).
 * A key the endpoint does not know (400 "Key with kid … was not found") or a refusal (401, 403) is a rejection; a network
 * fault or a 5xx is offline.
 */
export async function mintAccessToken(endpoint: string, key: ServiceAccountKey, registry: string, options: { caFile?: string; now?: Date } = {}): Promise<AccessToken> {
  const fetch = httpClient({ caFile: options.caFile });
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: signedAssertion(key, options.now ?? new Date()) });
  let response;
  let text: string;
  try {
    response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: body.toString(), redirect: 'error' });
    text = await response.text();
  } catch (error) {
    throw networkError(error, endpoint, registry);
  }
  const host = new URL(endpoint).host;
  if (response.status >= 500) throw networkError(new Error(`HTTP ${response.status}`), endpoint, registry);
  if (response.status === 400 && unknownKey.test(text)) {
    throw new BerthError('rejected', `STACKIT no longer knows the service-account key ${key.kid} of ${registry} (it was deleted, or the token endpoint ${host} is not the key's).`, {
      registry,
      actionUrl: stackitPortal,
    });
  }
  if (response.status === 401 || response.status === 403) {
    throw new BerthError('rejected', `STACKIT's token endpoint at ${host} refused the service account ${key.iss} (HTTP ${response.status}): the account or its key was revoked.`, {
      registry,
      actionUrl: stackitPortal,
    });
  }
  if (response.status !== 200) throw new BerthError('harbor', `STACKIT's token endpoint at ${host} answered HTTP ${response.status} for ${registry}: ${text.slice(0, 200)}`, { registry });
  let token: unknown;
  try {
    token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  } catch {
    token = undefined;
  }
  const exp = typeof token === 'string' ? jwtClaims(token)?.exp : undefined;
  if (typeof token !== 'string' || typeof exp !== 'number') throw new BerthError('harbor', `STACKIT's token endpoint at ${host} answered without an access token that says when it expires.`, { registry });
  rememberSecret(token);
  return { token, expiresAt: new Date(exp * 1000) };
}
