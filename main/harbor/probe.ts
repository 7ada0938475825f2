import { BerthError } from '../errors.js';
import { httpClient } from '../net/http.js';
import { nodeRequest } from '../net/node-request.js';
import { discoverTokenService } from '../registry/token-auth.js';
import { HarborClient } from './client.js';

export interface HarborFindings {
  authMode: string;
  oidcProviderName: string | null;
  tokenService: { realm: string; service: string } | null;
}

/** What a Harbor tells anyone before sign-in: its auth mode and provider (`systeminfo`), and its token service (`/v2/`). */
export async function probeHarbor(url: URL): Promise<HarborFindings> {
  const harbor = new HarborClient(url.href, httpClient(), url.host);
  const [info, tokenService] = await Promise.all([
    harbor.systemInfo().catch((error: unknown) => {
      if (error instanceof BerthError && error.code === 'harbor') {
        throw new BerthError('usage', `${url.origin} does not answer like Harbor (${error.message}): check the URL of the Harbor web UI.`);
      }
      throw error;
    }),
    // Only informative here: sign-in checks the token service again and explains a missing one.
    discoverTokenService(nodeRequest(), url.href).catch(() => null),
  ]);
  return { authMode: info.authMode, oidcProviderName: info.oidcProviderName ?? null, tokenService };
}
