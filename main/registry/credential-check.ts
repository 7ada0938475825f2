import { BerthError } from '../errors.js';
import { networkError } from '../net/http.js';
import type { HttpRequest } from '../net/node-request.js';
import { realmProblem } from './realm.js';
import { checkBasicCredentials, parseChallenge, type CredentialVerdict, type TokenService } from './token-auth.js';

/** How a registry asks for credentials on `/v2/`, as docker learns it. */
export type RegistryAuth = { scheme: 'bearer'; tokenService: TokenService } | { scheme: 'basic' };

/** A Harbor names its own `/service/token` for the service `harbor-registry` (src/core/service/token/). */
export function looksLikeHarbor(auth: RegistryAuth, base: string): boolean {
  return auth.scheme === 'bearer' && auth.tokenService.service === 'harbor-registry' && new URL(auth.tokenService.realm).href === new URL('/service/token', base).href;
}

/** `GET /v2/` without credentials: the challenge says where and how docker logs in. */
export async function registryAuth(fetch: HttpRequest, base: string, registry: string): Promise<RegistryAuth> {
  const url = new URL('/v2/', base);
  let response;
  try {
    response = await fetch(url, { method: 'GET' });
    await response.body?.cancel();
  } catch (error) {
    throw networkError(error, url, registry);
  }
  if (response.status >= 500) throw networkError(new Error(`HTTP ${response.status}`), url, registry);
  const header = response.headers.get('www-authenticate');
  if (response.status === 200) {
    throw new BerthError('usage', `${url.host} lets anyone in without credentials (/v2/ answers 200), so there is no token for Berth to check or keep.`, { registry });
  }
  if (response.status !== 401 || !header) throw new BerthError('harbor', `${url.host} does not answer /v2/ like a container registry (HTTP ${response.status}): check the registry's address.`, { registry });
  const challenge = parseChallenge(header);
  if (challenge.scheme === 'basic') return { scheme: 'basic' };
  const realm = challenge.params.realm;
  if (challenge.scheme !== 'bearer' || !realm) throw new BerthError('harbor', `${url.host} asks for "${challenge.scheme}" authentication, which docker cannot do with a user name and token.`, { registry });
  const problem = realmProblem(realm, base, false);
  if (problem) throw new BerthError('harbor', `${url.host} ${problem}; Berth did not send the token there.`, { registry });
  return { scheme: 'bearer', tokenService: { realm, service: challenge.params.service ?? '' } };
}

/** Whether the registry takes this user name and token, as `docker login` asks: a token request (bearer), or `/v2/` with basic auth. */
export async function checkRegistryCredential(fetch: HttpRequest, base: string, auth: RegistryAuth, username: string, secret: string, registry: string): Promise<CredentialVerdict> {
  if (auth.scheme === 'bearer') {
    try {
      return await checkBasicCredentials(fetch, auth.tokenService, username, secret);
    } catch (error) {
      throw error instanceof BerthError && error.registry === undefined ? new BerthError(error.code, error.message, { registry, cause: error }) : error;
    }
  }
  const url = new URL('/v2/', base);
  let response;
  try {
    response = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}` } });
    await response.body?.cancel();
  } catch (error) {
    throw networkError(error, url, registry);
  }
  if (response.ok) return 'accepted';
  if (response.status === 401 || response.status === 403) return 'rejected';
  if (response.status >= 500) throw networkError(new Error(`HTTP ${response.status}`), url, registry);
  throw new BerthError('harbor', `${url.host} answered HTTP ${response.status} to docker's login request.`, { registry });
}
