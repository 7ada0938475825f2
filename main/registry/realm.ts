import { printable } from '../log/printable.js';
import { isLoopbackHost } from '../net/http.js';

/**
 * Why Berth will not send credentials to this token service, or `null` when it may: a realm on the registry's own origin
 * is always fine; a Harbor's realm is always its own, so any other is refused; another registry's realm on another origin
 * (Docker Hub's is) must be https, or plain http only between two loopback addresses.
 */
export function realmProblem(realm: string, registryBase: string, ownOriginOnly: boolean): string | null {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return `names a token service that is not a URL (${printable(realm, 200)})`;
  }
  const base = new URL(registryBase);
  if (url.origin === base.origin) return null;
  if (ownOriginOnly) return `sends token requests to ${url.origin}, but a Harbor's token service is always on its own address (${base.origin})`;
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname) && isLoopbackHost(base.hostname)) return null;
  return `sends token requests over plain http to ${url.origin}`;
}
