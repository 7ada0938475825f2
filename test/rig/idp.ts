import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type ClientMetadata } from 'oidc-provider';

export interface IdpOptions {
  /** Access token lifetime in seconds (Keycloak: 300). */
  accessTokenTtl?: number;
  /** Lifetime each new refresh token gets, in seconds: the offline-session idle window; per client id, like Keycloak's client overrides. */
  refreshTokenIdleTtl?: number | Record<string, number>;
  clients: ClientMetadata[];
  /** Like Keycloak's "Audience" mapper: extra audiences added to the ID tokens of a client, e.g. `{ berth: ['harbor'] }`. */
  idTokenAudiences?: Record<string, string[]>;
}

export interface Idp {
  issuer: string;
  provider: Provider;
  /** Every token value the provider handed out (access, refresh, codes): the leak check looks for these. */
  issued: Set<string>;
  /** Client ids that presented an already used refresh token (reuse detection then revokes the whole session). */
  refreshTokenReuses: string[];
  /** How often a login form (a password prompt) was shown. */
  loginPrompts: number;
  /** `METHOD /path` of every request received (no query strings, so no secrets). */
  requestLog: string[];
  /** The client id of every successful token grant, in order. */
  grants: string[];
  refreshTokenActive(token: string): Promise<boolean>;
  /** Stops answering (the port is closed) until `resume`; everything it issued survives. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** An in-memory adapter that also records what was issued, so tests can assert on tokens. */
function recordingAdapter(issued: Set<string>) {
  const storage = new Map<string, AdapterPayload>();
  const grants = new Map<string, Set<string>>();
  const recorded = new Set(['AccessToken', 'RefreshToken', 'AuthorizationCode', 'ClientCredentials']);
  return class RecordingAdapter implements Adapter {
    constructor(private readonly model: string) {}
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: AdapterPayload): Promise<void> {
      if (recorded.has(this.model)) issued.add(id);
      storage.set(this.key(id), payload);
      if (payload.grantId) {
        const keys = grants.get(payload.grantId) ?? new Set();
        keys.add(this.key(id));
        grants.set(payload.grantId, keys);
      }
    }
    async find(id: string) {
      return storage.get(this.key(id));
    }
    async findByUserCode(): Promise<undefined> {
      return undefined;
    }
    async findByUid(uid: string) {
      for (const [key, value] of storage) if (key.startsWith(`${this.model}:`) && value.uid === uid) return value;
      return undefined;
    }
    async consume(id: string): Promise<void> {
      const payload = storage.get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string): Promise<void> {
      storage.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of grants.get(grantId) ?? []) storage.delete(key);
      grants.delete(grantId);
    }
  };
}

/** oidc-provider always sets `aud` to the client id; this adds audiences (and `azp`) to ID tokens as Keycloak's mapper does. */
function addAudienceMapper(provider: Provider, audiences: Record<string, string[]>): void {
  type IdTokenInstance = { client: { clientId: string }; set(key: string, value: unknown): void };
  const prototype = provider.IdToken.prototype as unknown as { issue(this: IdTokenInstance, options?: { use?: string }): Promise<string> };
  const issue = prototype.issue;
  prototype.issue = async function (this: IdTokenInstance, options) {
    const extra = audiences[this.client.clientId];
    if (!extra?.length || options?.use !== 'idtoken') return issue.call(this, options);
    const client = this.client;
    this.set('azp', client.clientId);
    this.client = Object.create(client, { clientId: { value: [client.clientId, ...extra] } }) as typeof client;
    try {
      return await issue.call(this, options);
    } finally {
      this.client = client;
    }
  };
}

/** oidc-provider set up like Keycloak for Berth (native public client) and Harbor (confidential web client). */
export async function startIdp(options: IdpOptions): Promise<Idp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const idleTtl = options.refreshTokenIdleTtl ?? 30 * 24 * 3600;
  const issued = new Set<string>();
  const Adapter = recordingAdapter(issued);

  const provider = new Provider(issuer, {
    adapter: Adapter,
    clients: options.clients,
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, preferred_username: sub, name: sub, email: `${sub}@example.test`, email_verified: true }),
    }),
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
    // Like Keycloak: every refresh returns a new refresh token with a fresh idle window.
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: options.accessTokenTtl ?? 300,
      IdToken: 3600,
      AuthorizationCode: 60,
      RefreshToken: (_ctx, _token, client) => (typeof idleTtl === 'number' ? idleTtl : (idleTtl[client.clientId] ?? 30 * 24 * 3600)),
      Grant: 365 * 24 * 3600,
      Session: 24 * 3600,
      Interaction: 600,
    },
    cookies: { keys: ['berth-rig-cookie-key'] },
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
  });
  provider.on('server_error', (_ctx, error) => console.error('idp server_error', error));
  const refreshTokenReuses: string[] = [];
  provider.on('grant.error', (ctx, error) => {
    if ((error as { error_description?: string }).error_description === 'refresh token already used') refreshTokenReuses.push(ctx.oidc.client?.clientId ?? '?');
  });
  const grants: string[] = [];
  provider.on('grant.success', (ctx) => grants.push(ctx.oidc.client?.clientId ?? '?'));
  let loginPrompts = 0;
  // A login form a browser was shown; an authorization request nobody followed (Berth's preflight) shows none.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path) && typeof ctx.body === 'string' && ctx.body.includes('name="prompt" value="login"')) loginPrompts += 1;
  });
  const requestLog: string[] = [];
  addAudienceMapper(provider, options.idTokenAudiences ?? {});
  const handler = provider.callback();
  server.on('request', (req, res) => {
    requestLog.push(`${req.method} ${new URL(req.url ?? '/', issuer).pathname}`);
    void handler(req, res);
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  return {
    issuer,
    provider,
    issued,
    refreshTokenReuses,
    get loginPrompts() {
      return loginPrompts;
    },
    requestLog,
    grants,
    async refreshTokenActive(token) {
      const found = await provider.RefreshToken.find(token);
      return Boolean(found && !found.isExpired && !found.consumed);
    },
    pause: close,
    resume: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    stop: close,
  };
}
