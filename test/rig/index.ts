import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CookieJar, drive } from './browser-driver.js';
import type { ClientMetadata } from 'oidc-provider';
import { adminPassword, HarborDouble, type HarborVersion, type ProjectSpec } from './harbor-double.js';
import { startIdp, type Idp, type IdpOptions, type PerClient } from './idp.js';
import { pushImage, startRegistry, tokenSigningMaterial, type PushedImage, type RunningRegistry } from './registry.js';
import { StackitTokenEndpoint } from './stackit-token-endpoint.js';

export interface RigOptions {
  /** Access (and ID) token lifetime in seconds, for both clients or per client id (`berth`, `harbor`); Keycloak: 300. */
  accessTokenTtl?: PerClient;
  /** The offline-session idle window in seconds, for both clients or per client id. */
  refreshTokenIdleTtl?: PerClient;
  /** Whether the provider adds Harbor's client id to the audience of Berth's ID tokens (Keycloak's Audience mapper). */
  audienceMapper?: boolean;
  /** `false`: nothing is registered for Berth at the identity provider; else changes to Berth's client (e.g. its redirect URIs). */
  berthClient?: false | Partial<ClientMetadata>;
  /** How the identity provider behaves where providers differ (refresh-token reuse, revocation, logout, introspection, consent, session lifetime, refresh-token format); default Keycloak's. */
  provider?: Pick<
    IdpOptions,
    | 'revokeRefreshToken'
    | 'revocation'
    | 'logout'
    | 'logoutEndsSessions'
    | 'introspection'
    | 'offlineAccessNeedsConsent'
    | 'sessionBoundRefresh'
    | 'fixedSessionTtl'
    | 'offlineSessionMax'
    | 'jwtRefreshTokens'
    | 'deviceCodeTtl'
  >;
  /** The device authorization grant: advertised by the provider and allowed for Berth's client (`berthClient.grant_types` can take it away again). */
  deviceFlow?: boolean;
  /** Harbor knows its identity provider by another host name than Berth does (`localhost` against `127.0.0.1`): a different issuer. */
  harborIssuerHost?: string;
  /** Harbor's `oidc_scope`; default with `offline_access`. */
  harborScope?: string;
  /** Harbor refreshes its stored session at the provider on every use of a CLI secret (its access token always counts as expired). */
  harborRefreshesOnEveryUse?: boolean;
  /** Which Harbor's `systeminfo` the double answers like. */
  harborVersion?: HarborVersion;
  projects?: ProjectSpec[];
  /** Also a STACKIT service-account token endpoint, whose tokens the Harbor double takes for robots linked to a service account. */
  stackit?: boolean;
}

export interface Rig {
  /** The identity provider Berth signs in at (and Harbor too, unless `harborIssuerHost` gives Harbor its own). */
  idp: Idp;
  /** The identity provider Harbor signs in at. */
  harborIdp: Idp;
  harbor: HarborDouble;
  /** With `stackit: true`. */
  stackit: StackitTokenEndpoint | undefined;
  registry: RunningRegistry;
  image: PushedImage;
  /** `127.0.0.1:<port>/demo/hello:1.0`: the image as docker and skopeo name it (through Harbor). */
  imageRef: string;
  berthClientId: string;
  harborClientId: string;
  /** Pushes another small image (as Harbor's admin), e.g. into a project the test user is not a member of. */
  push(repository: string, tag: string): Promise<PushedImage>;
  /** One web login at Harbor, which onboards the user and stores a fresh token; returns the browser's cookies (SSO). */
  webLogin(username: string, jar?: CookieJar): Promise<CookieJar>;
  /** Every secret and token the rig handed out or saw. */
  secrets(): Set<string>;
  stop(): Promise<void>;
}

/** The identity provider, the Harbor double and the real registry behind it, with one image pushed. */
export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-rig-'));
  const signing = tokenSigningMaterial(dir);
  const berthClientId = 'berth';
  const harborClientId = 'harbor';
  const harborSecret = randomBytes(16).toString('hex');
  const harbor = new HarborDouble({
    clientId: harborClientId,
    clientSecret: harborSecret,
    // A provider that grants offline access only with consent gets it from Harbor's extra redirect parameters, as its admin would set them.
    ...(options.provider?.offlineAccessNeedsConsent ? { extraRedirectParams: { prompt: 'consent' } } : {}),
    tokenSigning: signing,
    ...(options.projects ? { projects: options.projects } : {}),
    ...(options.harborScope ? { scope: options.harborScope } : {}),
    ...(options.harborVersion ? { version: options.harborVersion } : {}),
    ...(options.harborRefreshesOnEveryUse ? { refreshOnEveryUse: true } : {}),
  });
  await harbor.listen();
  const berthClient: ClientMetadata[] =
    options.berthClient === false
      ? []
      : [
          {
            client_id: berthClientId,
            application_type: 'native',
            token_endpoint_auth_method: 'none',
            redirect_uris: ['http://127.0.0.1/callback'],
            grant_types: ['authorization_code', 'refresh_token', ...(options.deviceFlow ? ['urn:ietf:params:oauth:grant-type:device_code'] : [])],
            response_types: ['code'],
            ...options.berthClient,
          },
        ];
  const harborClient: ClientMetadata = {
    client_id: harborClientId,
    client_secret: harborSecret,
    redirect_uris: [harbor.callbackUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  };
  const lifetimes = {
    ...(options.accessTokenTtl ? { accessTokenTtl: options.accessTokenTtl } : {}),
    ...(options.refreshTokenIdleTtl ? { refreshTokenIdleTtl: options.refreshTokenIdleTtl } : {}),
    ...options.provider,
  };
  const idp = await startIdp({
    ...lifetimes,
    ...(options.deviceFlow ? { deviceFlow: true } : {}),
    idTokenAudiences: options.audienceMapper === false ? {} : { [berthClientId]: [harborClientId] },
    clients: options.harborIssuerHost ? berthClient : [...berthClient, harborClient],
  });
  const harborIdp = options.harborIssuerHost ? await startIdp({ ...lifetimes, host: options.harborIssuerHost, clients: [harborClient] }) : idp;
  harbor.setIssuer(harborIdp.issuer);
  const registry = await startRegistry({ realm: `${harbor.url}/service/token`, certificatePem: signing.certificatePem });
  harbor.setRegistryBackend(registry.url);
  const tokenFor = async (scope: string) => {
    const url = new URL('/service/token', harbor.url);
    url.searchParams.set('service', 'harbor-registry');
    url.searchParams.set('scope', scope);
    const response = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` } });
    return ((await response.json()) as { token: string }).token;
  };
  const image = await pushImage(harbor.url, tokenFor, 'demo/hello', '1.0');
  const stackit = options.stackit ? new StackitTokenEndpoint() : undefined;
  await stackit?.listen();
  return {
    idp,
    harborIdp,
    harbor,
    stackit,
    registry,
    image,
    imageRef: `${new URL(harbor.url).host}/${image.repository}:${image.tag}`,
    berthClientId,
    harborClientId,
    push: (repository, tag) => pushImage(harbor.url, tokenFor, repository, tag),
    async webLogin(username, jar = new CookieJar()) {
      const result = await drive(`${harbor.url}/c/oidc/login`, { login: username, jar });
      if (!result.body.includes(`Logged in as ${username}`)) throw new Error(`web login failed: ${result.status} ${result.body.slice(0, 200)}`);
      return jar;
    },
    secrets: () => new Set([...idp.issued, ...harborIdp.issued, ...harbor.secretsSeen, ...harbor.robots.secretsSeen, ...(stackit?.secretsSeen ?? []), harborSecret, adminPassword]),
    async stop() {
      await Promise.all([registry.stop(), harbor.stop(), idp.stop(), ...(harborIdp === idp ? [] : [harborIdp.stop()]), ...(stackit ? [stackit.stop()] : [])]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
