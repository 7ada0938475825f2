import { printable } from '../log/printable.js';
import { httpClient, requireSecureUrl, type Fetch } from '../net/http.js';
import type { HarborClient } from './client.js';

/** What Harbor's own web login reveals about its OIDC setup, read from the redirect of `/c/oidc/login`. */
export interface HarborLogin {
  /** The identity provider's authorization endpoint Harbor sends browsers to. */
  authorizationEndpoint: string;
  /** Harbor's own OIDC client id: the audience Harbor requires of ID tokens. */
  clientId: string | null;
  /** The scopes Harbor asks for; without `offline_access` its CLI secrets die with the browser session. */
  scopes: string[];
  /** The issuer whose discovery document names that endpoint, when Berth could find it. */
  issuer: string | null;
}

const maxDiscoveryTries = 6;

/**
 * Where the issuer's discovery document may be, given its authorization endpoint: Entra's `…/oauth2/v2.0/authorize`
 * belongs to `…/v2.0`; Keycloak, Okta, Google, Auth0 and oidc-provider put the endpoint under the issuer's path.
 */
export function issuerCandidates(endpoint: URL): string[] {
  const segments = endpoint.pathname.split('/').filter(Boolean);
  const candidates: string[] = [];
  const entra = /^(.*)\/oauth2\/v2\.0\/authorize$/.exec(endpoint.pathname);
  if (entra) candidates.push(`${endpoint.origin}${entra[1]}/v2.0`);
  for (let keep = segments.length - 1; keep >= 0; keep--) candidates.push(`${endpoint.origin}${keep ? `/${segments.slice(0, keep).join('/')}` : ''}`);
  return candidates.slice(0, maxDiscoveryTries);
}

async function discoveredIssuer(fetch: Fetch, candidate: string, endpoint: URL): Promise<string | null> {
  try {
    const response = await fetch(`${candidate}/.well-known/openid-configuration`, { redirect: 'manual' });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const document = (await response.json()) as { issuer?: unknown; authorization_endpoint?: unknown };
    if (typeof document.issuer !== 'string' || typeof document.authorization_endpoint !== 'string') return null;
    const named = new URL(document.authorization_endpoint);
    return named.origin === endpoint.origin && named.pathname === endpoint.pathname ? document.issuer.replace(/\/$/, '') : null;
  } catch {
    return null;
  }
}

/** Reads Harbor's login redirect and finds its issuer; `null` when Harbor's web login redirects nowhere (not OIDC). */
export async function readHarborLogin(harbor: HarborClient, caFile?: string): Promise<HarborLogin | null> {
  const redirect = await harbor.webLoginRedirect();
  if (!redirect) return null;
  const endpoint = new URL(redirect.origin + redirect.pathname);
  // What Harbor's redirect says is shown in warnings: no control characters get in.
  const scopes = (redirect.searchParams.get('scope') ?? '').split(/\s+/).filter(Boolean).map((scope) => printable(scope, 100));
  let issuer: string | null = null;
  try {
    requireSecureUrl(endpoint.href, 'The identity provider');
    const fetch = httpClient({ caFile, timeoutMs: 5_000 });
    for (const candidate of issuerCandidates(endpoint)) {
      issuer = await discoveredIssuer(fetch, candidate, endpoint);
      if (issuer) break;
    }
  } catch {
    // A plain-http provider elsewhere is not asked anything; the issuer stays unknown.
  }
  const clientId = redirect.searchParams.get('client_id');
  return { authorizationEndpoint: endpoint.href, clientId: clientId === null ? null : printable(clientId, 200), scopes, issuer: issuer === null ? null : printable(issuer, 300) };
}

/** The add-time warning for a Harbor that asks its identity provider for no offline session. */
export function onlineSessionWarning(host: string, scopes: string[]): string | null {
  if (scopes.includes('offline_access')) return null;
  return (
    `Harbor at ${host} asks its identity provider for "${scopes.join(' ') || 'no scope'}" without offline_access, so Harbor keeps only a browser-bound session: ` +
    `its CLI secrets stop working when your single sign-on session ends (usually within hours), whatever Berth does. ` +
    `The Harbor administrator fixes this by adding offline_access to the OIDC scope (Administration → Configuration → Authentication).`
  );
}
