import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../errors.js';
import { HarborClient, type HarborUser } from '../harbor/client.js';
import { httpClient } from '../net/http.js';
import { discover, revokeRefreshToken, signInWithBrowser, type BrowserOpener, type OidcClientSettings, type Tokens } from '../oidc/provider.js';
import { checkBasicCredentials, discoverTokenService, type CredentialVerdict } from '../registry/token-auth.js';
import type { HarborRegistrySettings } from '../settings/model.js';

export interface HarborSignInOptions<T> {
  openBrowser: BrowserOpener;
  timeoutMs: number;
  onCallback?: () => void;
  /** How long to wait for Harbor's web login (opened in the same browser) to revive Harbor's session. */
  reviveTimeoutMs?: number;
  /** Stores the session (keychain, credential targets); its message is shown in the browser tab. */
  complete: (session: HarborSession) => Promise<{ value: T; message: string }>;
}

/** What a successful Harbor sign-in yields: Berth's session and a CLI secret Harbor accepted. */
export interface HarborSession {
  tokens: Tokens;
  user: HarborUser;
  host: string;
  /** Whether Harbor accepts the CLI secret; `false` when its own session is dead even after the web login Berth opened. */
  secretAccepted: boolean;
  webLoginUrl: string;
}

export function oidcSettings(registry: HarborRegistrySettings): OidcClientSettings {
  return { registry: registry.name, issuer: registry.issuer, clientId: registry.clientId, caFile: registry.caFile };
}

export function harborClient(registry: HarborRegistrySettings): HarborClient {
  return new HarborClient(registry.url, httpClient({ caFile: registry.caFile }), registry.name);
}

/** Harbor answered the ID token as anonymous: either the audience is wrong or the user never logged in to the web UI. */
export async function explainAnonymous(harbor: HarborClient, tokens: Tokens, registry: HarborRegistrySettings): Promise<BerthError> {
  const harborClientId = await harbor.webLoginClientId().catch(() => undefined);
  if (harborClientId && !tokens.claims.aud.includes(harborClientId)) {
    return new BerthError(
      'audience',
      `Harbor at ${harbor.host} did not accept the ID token for ${registry.name}: its audience is ${tokens.claims.aud.map((a) => `"${a}"`).join(', ')}, ` +
        `but Harbor accepts only ID tokens that name its own client "${harborClientId}". The identity provider must add "${harborClientId}" ` +
        `to the ID token audience of the client "${registry.clientId}" (Keycloak: an Audience mapper with "Add to ID token" on).`,
      { registry: registry.name },
    );
  }
  return new BerthError(
    'needs-web-login',
    `Harbor at ${harbor.host} does not know this user yet: log in once at ${harbor.webLoginUrl}, then sign in to Berth again.`,
    { registry: registry.name, actionUrl: harbor.webLoginUrl },
  );
}

/** Browser sign-in, then the CLI secret from Harbor, checked on the registry's token service the way docker will use it. */
export async function signInToHarbor<T>(registry: HarborRegistrySettings, options: HarborSignInOptions<T>): Promise<T> {
  const harbor = harborClient(registry);
  const info = await harbor.systemInfo();
  if (info.authMode !== 'oidc_auth') {
    throw new BerthError('not-oidc', `Harbor at ${harbor.host} uses ${info.authMode}, not OIDC sign-in; add it with a pasted CLI secret or a robot account instead.`, {
      registry: registry.name,
    });
  }
  const settings = oidcSettings(registry);
  const config = await discover(settings);
  return signInWithBrowser(config, settings, {
    scopes: registry.scopes,
    authParams: registry.authParams,
    openBrowser: options.openBrowser,
    timeoutMs: options.timeoutMs,
    ...(options.onCallback ? { onCallback: options.onCallback } : {}),
    complete: async (tokens) => {
      const user = await harbor.currentUser(tokens.idToken);
      if (!user) throw await explainAnonymous(harbor, tokens, registry);
      let secretAccepted = (await checkCliSecret(harbor, user.username, user.cliSecret)) === 'accepted';
      if (!secretAccepted) secretAccepted = await reviveHarborSession(harbor, user, options);
      return options.complete({ tokens, user, host: harbor.host, secretAccepted, webLoginUrl: harbor.webLoginUrl });
    },
  });
}

/**
 * Harbor's stored session is dead but the browser has just signed in at the identity provider: Harbor's
 * web login in the same browser passes through on that SSO session and stores a fresh token for Harbor.
 */
async function reviveHarborSession(harbor: HarborClient, user: HarborUser, options: HarborSignInOptions<unknown>): Promise<boolean> {
  await options.openBrowser(harbor.webLoginUrl);
  const tokenService = await discoverTokenService(harbor.fetch, harbor.base.href);
  const deadline = Date.now() + (options.reviveTimeoutMs ?? Math.min(options.timeoutMs, 120_000));
  while (Date.now() < deadline) {
    await sleep(1000);
    if ((await checkBasicCredentials(harbor.fetch, tokenService, user.username, user.cliSecret)) === 'accepted') return true;
  }
  return false;
}

/** Uses the CLI secret on `/service/token` exactly as docker does; this is also what makes Harbor refresh its stored session. */
export async function checkCliSecret(harbor: HarborClient, username: string, secret: string): Promise<CredentialVerdict> {
  const tokenService = await discoverTokenService(harbor.fetch, harbor.base.href);
  return checkBasicCredentials(harbor.fetch, tokenService, username, secret);
}

/** Ends Berth's session at the identity provider. */
export async function revokeHarborSession(registry: HarborRegistrySettings, refreshToken: string): Promise<boolean> {
  const settings = oidcSettings(registry);
  return revokeRefreshToken(await discover(settings), settings, refreshToken);
}
