import { createHmac, randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type ClientMetadata } from 'oidc-provider';

/** A number of seconds for every client, or per client id (like Keycloak's client overrides). */
export type PerClient = number | Record<string, number>;

export interface IdpOptions {
  /** Access token lifetime in seconds (Keycloak: 300); ID tokens live as long, as in Keycloak. */
  accessTokenTtl?: PerClient;
  /** Lifetime each new refresh token gets, in seconds: the offline-session idle window. */
  refreshTokenIdleTtl?: PerClient;
  clients: ClientMetadata[];
  /** Like Keycloak's "Audience" mapper: extra audiences added to the ID tokens of a client, e.g. `{ berth: ['harbor'] }`. */
  idTokenAudiences?: Record<string, string[]>;
  /** Keycloak's "Revoke Refresh Token": a used refresh token is spent, and presenting it again ends that client's session. Off by default, as in Keycloak. */
  revokeRefreshToken?: boolean;
  /** `false`: no revocation endpoint (RFC 7009), as some providers have none. */
  revocation?: boolean;
  /** `false`: no logout endpoint either (no `end_session_endpoint` in discovery). */
  logout?: boolean;
  /** Keycloak's logout endpoint: `POST /session/end` with `client_id` and `refresh_token` ends that session, offline ones too. */
  logoutEndsSessions?: boolean;
  /**
   * OIDC Core §11 as oidc-provider applies it: `offline_access` only with `prompt=consent`, silently dropped otherwise, and
   * no refresh token at all without it. Keycloak (the default here) grants offline access whatever the prompt, and gives a
   * client that did not ask for it an online session's refresh token that lives as long as the SSO session.
   */
  offlineAccessNeedsConsent?: boolean;
  /** The lifetime in seconds of a refresh token bound to the browser session (no offline access); default Keycloak's SSO session, 30 minutes idle and 10 hours at most. */
  sessionBoundRefresh?: number;
  /** Sessions end this many seconds after sign-in however often they are refreshed (a fixed lifetime, not an idle window). */
  fixedSessionTtl?: number;
  /**
   * Keycloak's "Offline Session Max" (its default when on: 60 days): an offline refresh token then expires at the idle
   * window's end or this many seconds after sign-in, whichever is first, and `refresh_expires_in` says when.
   */
  offlineSessionMax?: number;
  /** Refresh tokens are JWTs whose `exp` is the only statement of their end (no `refresh_expires_in`), as some providers issue them. */
  jwtRefreshTokens?: boolean;
  /** A token introspection endpoint (RFC 7662) where a client may ask about its own tokens; off by default, as in oidc-provider. */
  introspection?: boolean;
  /** The host name in the issuer (the server listens on 127.0.0.1 either way); Keycloak names itself after the host it is asked by. */
  host?: string;
  /** The OAuth device authorization grant (RFC 8628; Keycloak: "OAuth 2.0 Device Authorization Grant"): the endpoint is advertised; clients still need the grant type. */
  deviceFlow?: boolean;
  /** How long a device code (and its user code) lives, in seconds; Keycloak's default is 600. */
  deviceCodeTtl?: number;
}

// Keycloak's defaults for the browser's SSO session, which bounds an online (not offline) session's refresh tokens.
const ssoSessionIdle = 30 * 60;
const ssoSessionMax = 10 * 3600;

function perClient(value: PerClient | undefined, clientId: string, fallback: number): number {
  if (value === undefined) return fallback;
  return typeof value === 'number' ? value : (value[clientId] ?? fallback);
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
  /** The client ids whose refresh grants are answered with this OAuth error (e.g. `invalid_request`, or an error with its description) from now on; delete to stop. */
  refreshErrors: Map<string, string | { error: string; description: string }>;
  /** The client ids whose token answers (code and refresh grants) carry an ID token that is not a JWT from now on, as a broken provider or proxy sends; delete to stop. */
  malformedIdTokens: Set<string>;
  /** A status (e.g. 502, 503): the token endpoint answers every grant with it and a proxy's HTML page, as during a restart; `null` answers again. */
  failTokenEndpoint(status: number | null): void;
  /** Device-code polls of the token endpoint (ms since the epoch), in order. */
  devicePolls: number[];
  /** This many device-code polls that would be told "not yet" are answered `slow_down` instead (RFC 8628 §3.5), whatever their pace. */
  slowDowns: number;
  /** `false`: token answers carry no `refresh_expires_in` from now on (an opaque refresh token whose end nobody states, as many providers send). */
  statesRefreshEnd: boolean;
  /** The client ids whose successful token answers are replaced by this JSON (an answer of the wrong shape); delete to stop. */
  tokenAnswers: Map<string, unknown>;
  refreshTokenActive(token: string): Promise<boolean>;
  /**
   * Holds the answer of the next successful refresh after the provider has issued it (and, with rotation, spent the old
   * token): the moment a process can lose a session by ending. `reached` resolves once one is held.
   */
  holdRefreshes(): { reached: Promise<void>; release(): void };
  /** `true`: takes every request and answers none (a provider behind a proxy that lost it); `false` drops the held ones and answers again. */
  hang(on: boolean): void;
  /** Stops answering (the port is closed) until `resume`; everything it issued survives. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** An in-memory adapter that also records what was issued, so tests can assert on tokens; `spendRefreshTokens` is Keycloak's "Revoke Refresh Token". */
function recordingAdapter(issued: Set<string>, spendRefreshTokens: boolean) {
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
    async findByUserCode(userCode: string) {
      for (const [key, value] of storage) if (key.startsWith(`${this.model}:`) && value.userCode === userCode) return value;
      return undefined;
    }
    async findByUid(uid: string) {
      for (const [key, value] of storage) if (key.startsWith(`${this.model}:`) && value.uid === uid) return value;
      return undefined;
    }
    async consume(id: string): Promise<void> {
      // Keycloak keeps a refreshed token usable unless "Revoke Refresh Token" is on.
      if (this.model === 'RefreshToken' && !spendRefreshTokens) return;
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

/**
 * oidc-provider has no JWT format for refresh tokens: each new one's id, which is the token's value, becomes a signed JWT
 * carrying the `exp` oidc-provider stores for it, so the provider finds, rotates and revokes it as usual.
 */
function issueJwtRefreshTokens(provider: Provider): void {
  type Token = { exp?: number; readonly expiration: number };
  const key = randomBytes(32);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const prototype = provider.RefreshToken.prototype as unknown as { generateTokenId(this: Token): string };
  prototype.generateTokenId = function (this: Token) {
    this.exp = Math.floor(Date.now() / 1000) + this.expiration;
    const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ jti: randomBytes(16).toString('base64url'), exp: this.exp, typ: 'Refresh' })}`;
    return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
  };
}

/**
 * Keycloak grants `offline_access` whatever the prompt; oidc-provider drops it without `prompt=consent`. So that the rig
 * grants it as Keycloak does, an authorization request asking for it gets `consent` added to its prompt (its consent page
 * is the rig's: Keycloak, with consent off for the client, shows none). `prompt=none` cannot carry consent and is left.
 */
function withKeycloakConsent(url: string): string {
  const parsed = new URL(url, 'http://idp');
  const prompts = (parsed.searchParams.get('prompt') ?? '').split(' ').filter(Boolean);
  const scopes = (parsed.searchParams.get('scope') ?? '').split(' ');
  if (!scopes.includes('offline_access') || prompts.includes('consent') || prompts.includes('none')) return url;
  parsed.searchParams.set('prompt', [...prompts, 'consent'].join(' '));
  return `${parsed.pathname}${parsed.search}`;
}

/** The parameters of a form POST, read without disturbing a request oidc-provider will not see. */
function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(new URLSearchParams(body))).on('error', reject);
  });
}

/** oidc-provider set up like Keycloak for Berth (native public client) and Harbor (confidential web client), with switches for other providers' habits. */
export async function startIdp(options: IdpOptions): Promise<Idp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const issued = new Set<string>();
  const Adapter = recordingAdapter(issued, options.revokeRefreshToken === true);
  // When each grant began, for sessions with a fixed lifetime or a maximum.
  const grantStarts = new Map<string, number>();
  const now = () => Math.floor(Date.now() / 1000);
  const startOf = (grantId: string): number => {
    const started = grantStarts.get(grantId) ?? now();
    grantStarts.set(grantId, started);
    return started;
  };
  const refreshTtl = (clientId: string, grantId: string | undefined, offline: boolean): number => {
    if (options.fixedSessionTtl !== undefined && grantId) return Math.max(1, startOf(grantId) + options.fixedSessionTtl - now());
    if (!offline) return options.sessionBoundRefresh ?? (grantId ? Math.max(1, Math.min(ssoSessionIdle, startOf(grantId) + ssoSessionMax - now())) : ssoSessionIdle);
    const idle = perClient(options.refreshTokenIdleTtl, clientId, 30 * 24 * 3600);
    return options.offlineSessionMax !== undefined && grantId ? Math.max(1, Math.min(idle, startOf(grantId) + options.offlineSessionMax - now())) : idle;
  };
  // Keycloak states no end for an offline session without a maximum (0); every other session's end it states.
  const statesOfflineEnd = options.fixedSessionTtl !== undefined || options.offlineSessionMax !== undefined;

  const provider = new Provider(issuer, {
    adapter: Adapter,
    clients: options.clients,
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, preferred_username: sub, name: sub, email: `${sub}@example.test`, email_verified: true }),
    }),
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: options.deviceFlow === true },
      revocation: { enabled: options.revocation !== false },
      rpInitiatedLogout: { enabled: options.logout !== false },
      introspection: { enabled: options.introspection === true },
    },
    // Like Keycloak: every refresh returns a new refresh token with a fresh idle window.
    rotateRefreshToken: () => true,
    // Keycloak: a refresh token for every session (an online one without offline_access); oidc-provider: only offline ones, unless a switch says otherwise.
    issueRefreshToken: async (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || !options.offlineAccessNeedsConsent || options.sessionBoundRefresh !== undefined),
    ttl: {
      AccessToken: (_ctx, _token, client) => perClient(options.accessTokenTtl, client.clientId, 300),
      IdToken: (_ctx, _token, client) => perClient(options.accessTokenTtl, client.clientId, 300),
      AuthorizationCode: 60,
      DeviceCode: options.deviceCodeTtl ?? 600,
      RefreshToken: (_ctx, token, client) => refreshTtl(client.clientId, token.grantId, token.scope?.split(' ').includes('offline_access') ?? false),
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
    if ((error as { error_detail?: string }).error_detail === 'refresh token already used') refreshTokenReuses.push(ctx.oidc.client?.clientId ?? '?');
  });
  const grants: string[] = [];
  // Refresh tokens presented once: a second use is counted even where the provider lets it pass (Keycloak's default).
  const presented = new Set<string>();
  provider.on('grant.success', (ctx) => {
    const clientId = ctx.oidc.client?.clientId ?? '?';
    grants.push(clientId);
    const token = ctx.oidc.params?.grant_type === 'refresh_token' ? String(ctx.oidc.params.refresh_token) : undefined;
    if (token && presented.has(token)) refreshTokenReuses.push(clientId);
    if (token) presented.add(token);
  });
  const refreshErrors = new Map<string, string | { error: string; description: string }>();
  const malformedIdTokens = new Set<string>();
  let tokenEndpointFailure: number | null = null;
  const tokenAnswers = new Map<string, unknown>();
  let refreshHold: { reached(): void; released: Promise<void> } | undefined;
  let statesRefreshEnd = true;
  const devicePolls: number[] = [];
  let slowDowns = 0;
  let loginPrompts = 0;
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.method === 'POST' && ctx.path === '/token' && ctx.oidc?.params?.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
      devicePolls.push(Date.now());
      // Only an answer that was "not yet" becomes "slow down": a poll that got tokens keeps them.
      const pending = (ctx.body as { error?: string } | undefined)?.error === 'authorization_pending';
      if (pending && slowDowns > 0) {
        slowDowns -= 1;
        ctx.body = { error: 'slow_down', error_description: 'polling too fast' };
      }
    }
    // A login form a browser was shown; an authorization request nobody followed (Berth's preflight) shows none.
    if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path) && typeof ctx.body === 'string' && ctx.body.includes('name="prompt" value="login"')) loginPrompts += 1;
    if (ctx.method !== 'POST' || ctx.path !== '/token' || ctx.status !== 200) return;
    const body = ctx.body as Record<string, unknown>;
    const clientId = ctx.oidc?.client?.clientId ?? '';
    const failure = ctx.oidc?.params?.grant_type === 'refresh_token' ? refreshErrors.get(clientId) : undefined;
    if (failure) {
      ctx.status = 400;
      ctx.body = typeof failure === 'string' ? { error: failure, error_description: 'Session not active' } : { error: failure.error, error_description: failure.description };
      return;
    }
    // Keycloak's refresh_expires_in: 0 for an offline session without a maximum, else the seconds it has left. JWT refresh tokens state it themselves.
    if (typeof body.refresh_token === 'string' && !options.jwtRefreshTokens && statesRefreshEnd) {
      const token = await provider.RefreshToken.find(body.refresh_token);
      const offline = String(body.scope ?? '').split(' ').includes('offline_access');
      body.refresh_expires_in = offline && !statesOfflineEnd ? 0 : Math.max(0, (token?.exp ?? now()) - now());
    }
    if (tokenAnswers.has(clientId)) {
      ctx.body = tokenAnswers.get(clientId);
      return;
    }
    // Header and claims without the signature: two parts, not a JWS.
    if (malformedIdTokens.has(clientId) && typeof body.id_token === 'string') body.id_token = body.id_token.split('.').slice(0, 2).join('.');
    const hold = ctx.oidc?.params?.grant_type === 'refresh_token' ? refreshHold : undefined;
    if (hold) {
      hold.reached();
      await hold.released;
    }
  });
  const requestLog: string[] = [];
  addAudienceMapper(provider, options.idTokenAudiences ?? {});
  if (options.jwtRefreshTokens) issueJwtRefreshTokens(provider);
  const handler = provider.callback();
  let hanging = false;
  const held = new Set<ServerResponse>();
  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    requestLog.push(`${req.method} ${path}`);
    if (hanging) {
      held.add(res);
      return;
    }
    if (tokenEndpointFailure !== null && req.method === 'POST' && path === '/token') {
      req.resume();
      res.writeHead(tokenEndpointFailure, { 'content-type': 'text/html' }).end(`<html><body><h1>${tokenEndpointFailure} ${STATUS_CODES[tokenEndpointFailure] ?? ''}</h1><hr>nginx</body></html>`);
      return;
    }
    if (!options.offlineAccessNeedsConsent && req.method === 'GET' && path === '/auth') req.url = withKeycloakConsent(req.url ?? '/');
    if (options.logoutEndsSessions && req.method === 'POST' && path === '/session/end') {
      void keycloakLogout(req).then((status) => res.writeHead(status).end(), () => res.writeHead(500).end());
      return;
    }
    void handler(req, res);
  });

  /** Keycloak's back-channel logout with a refresh token: the session it belongs to ends (offline ones included). */
  async function keycloakLogout(req: IncomingMessage): Promise<number> {
    const form = await formBody(req);
    const token = await provider.RefreshToken.find(form.get('refresh_token') ?? '');
    if (!token || token.clientId !== form.get('client_id')) return 400;
    if (token.grantId) await new Adapter('RefreshToken').revokeByGrantId(token.grantId);
    return 204;
  }

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
    refreshErrors,
    malformedIdTokens,
    failTokenEndpoint(status) {
      tokenEndpointFailure = status;
    },
    devicePolls,
    get slowDowns() {
      return slowDowns;
    },
    set slowDowns(count: number) {
      slowDowns = count;
    },
    get statesRefreshEnd() {
      return statesRefreshEnd;
    },
    set statesRefreshEnd(on: boolean) {
      statesRefreshEnd = on;
    },
    tokenAnswers,
    async refreshTokenActive(token) {
      const found = await provider.RefreshToken.find(token);
      return Boolean(found && !found.isExpired && !found.consumed);
    },
    holdRefreshes() {
      let reached!: () => void;
      let release!: () => void;
      const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
      refreshHold = { reached, released: new Promise<void>((resolve) => (release = resolve)) };
      return {
        reached: reachedPromise,
        release: () => {
          refreshHold = undefined;
          release();
        },
      };
    },
    hang(on) {
      hanging = on;
      if (on) return;
      for (const res of held) res.destroy();
      held.clear();
    },
    pause: close,
    resume: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    stop: close,
  };
}
