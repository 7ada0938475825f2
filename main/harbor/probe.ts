import { BerthError } from '../errors.js';
import { httpClient } from '../net/http.js';
import { nodeRequest } from '../net/node-request.js';
import { discoverTokenService } from '../registry/token-auth.js';
import { HarborClient } from './client.js';
import { onlineSessionWarning, readHarborLogin, type HarborLogin } from './login-redirect.js';

export interface HarborFindings {
  authMode: string;
  oidcProviderName: string | null;
  /** Shown to anyone by Harbor 2.7–2.12, only to signed-in users from 2.13. */
  harborVersion: string | null;
  tokenService: { realm: string; service: string } | null;
  /** Harbor's own OIDC login (issuer, its client id, its scopes); `null` when it has none. */
  login: HarborLogin | null;
  /** What the person should know before relying on this Harbor, in sentences. */
  warnings: string[];
}

/** What a Harbor tells anyone before sign-in: auth mode and provider (`systeminfo`), token service (`/v2/`), OIDC setup (`/c/oidc/login`). */
export async function probeHarbor(url: URL, caFile?: string): Promise<HarborFindings> {
  // No registry yet: errors name `berth add`, not `berth set`.
  const harbor = new HarborClient(url.href, httpClient({ caFile }));
  const [info, tokenService, login] = await Promise.all([
    harbor.systemInfo().catch((error: unknown) => {
      if (error instanceof BerthError && error.code === 'harbor') {
        throw new BerthError('usage', `${url.origin} does not answer like Harbor (${error.message}): check the URL of the Harbor web UI.`);
      }
      throw error;
    }),
    // Only informative here: sign-in checks the token service again and explains a missing one.
    discoverTokenService(nodeRequest({ caFile }), url.href).catch(() => null),
    readHarborLogin(harbor, caFile).catch(() => null),
  ]);
  const oidc = info.authMode === 'oidc_auth' ? login : null;
  const offline = oidc ? onlineSessionWarning(url.host, oidc.scopes) : null;
  return {
    authMode: info.authMode,
    oidcProviderName: info.oidcProviderName ?? null,
    harborVersion: info.harborVersion ?? null,
    tokenService,
    login: oidc,
    warnings: offline ? [offline] : [],
  };
}
