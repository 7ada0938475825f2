import { BerthError } from '../errors.js';
import { printable } from '../log/printable.js';
import { networkError } from '../net/http.js';
import type { HttpRequest } from '../net/node-request.js';
import { realmProblem } from './realm.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses one `WWW-Authenticate` challenge (`Bearer realm="...",service="..."`), quoted strings and escapes included. */
export function parseChallenge(header: string): Challenge {
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/s.exec(header);
  if (!match) throw new BerthError('harbor', `Unreadable WWW-Authenticate header: ${printable(header, 200)}`);
  const [, scheme = '', rest = ''] = match;
  const params: Record<string, string> = {};
  const paramPattern = /([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  let param: RegExpExecArray | null;
  while ((param = paramPattern.exec(rest)) !== null && param[0] !== '') {
    const [, key = '', quoted, token] = param;
    params[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (token ?? '');
  }
  return { scheme: scheme.toLowerCase(), params };
}

export interface TokenService {
  realm: string;
  service: string;
}

/** `GET /v2/` → a Harbor's token service, as docker discovers it; Harbor's is always on Harbor's own origin. */
export async function discoverTokenService(fetch: HttpRequest, registryBase: string): Promise<TokenService> {
  const url = new URL('/v2/', registryBase);
  let response;
  try {
    response = await fetch(url, { method: 'GET' });
    await response.body?.cancel();
  } catch (error) {
    throw networkError(error, url);
  }
  // A proxy with Harbor down behind it (502, 503, 504) says nothing about the credentials: offline, tried again later.
  if (response.status >= 500) throw networkError(new Error(`HTTP ${response.status}`), url);
  const header = response.headers.get('www-authenticate');
  if (response.status !== 401 || !header) {
    throw new BerthError('harbor', `${url.host} did not ask for token authentication on /v2/ (HTTP ${response.status}); is this a Harbor registry?`);
  }
  const challenge = parseChallenge(header);
  const realm = challenge.params.realm;
  if (challenge.scheme !== 'bearer' || !realm) {
    throw new BerthError('harbor', `${url.host} answers /v2/ with a "${printable(challenge.scheme, 40)}" challenge; Berth expects Harbor's Bearer token service.`);
  }
  const problem = realmProblem(realm, registryBase, true);
  if (problem) throw new BerthError('harbor', `${url.host} ${problem}; Berth did not send the CLI secret there.`);
  return { realm, service: challenge.params.service ?? '' };
}

export type CredentialVerdict = 'accepted' | 'rejected';

/** Asks the token service for a token with basic credentials, as `docker login` does: 200 accepted, 401 rejected. */
export async function checkBasicCredentials(fetch: HttpRequest, tokenService: TokenService, username: string, secret: string): Promise<CredentialVerdict> {
  const url = new URL(tokenService.realm);
  if (tokenService.service) url.searchParams.set('service', tokenService.service);
  url.searchParams.set('account', username);
  let response;
  try {
    // Never followed: the credentials would go along, and another server's 200 would look like Harbor accepting them.
    response = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}` }, redirect: 'manual' });
    await response.body?.cancel();
  } catch (error) {
    throw networkError(error, url);
  }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.get('location');
    throw new BerthError('harbor', `The token service at ${url.host} answered with a redirect${location ? ` to ${printable(location, 200)}` : ''}, which Berth does not follow with credentials.`);
  }
  if (response.ok) return 'accepted';
  if (response.status === 401 || response.status === 403) return 'rejected';
  if (response.status >= 500) throw networkError(new Error(`HTTP ${response.status}`), url);
  throw new BerthError('harbor', `The token service at ${url.host} answered HTTP ${response.status}.`);
}
