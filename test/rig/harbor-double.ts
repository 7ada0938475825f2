import { createHmac, randomBytes, randomUUID, timingSafeEqual, createPrivateKey, type KeyObject } from 'node:crypto';
import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { HarborRobots, parseHarborQuery, type RobotRecord } from './harbor-robots.js';

/**
 * A test double of Harbor that does what shared/harbor-facts.md says and nothing more:
 * OIDC web login and onboarding, web sessions with CSRF, users/current, cli_secret, systeminfo, /service/token,
 * CLI-secret verification that refreshes Harbor's stored OIDC token, ID-token auth, and /v2/ proxied to a real registry.
 */
export interface HarborDoubleOptions {
  /** Harbor's own OIDC client; ID tokens must name it in `aud`. */
  clientId: string;
  clientSecret: string;
  /** Harbor's `oidc_extra_redirect_parms`, e.g. `{ prompt: 'consent' }`. */
  extraRedirectParams?: Record<string, string>;
  /** Harbor's `oidc_scope` (no default in Harbor); without `offline_access` Harbor stores an online session. */
  scope?: string;
  /** Harbor's `session_timeout`: a web session idles out after this long without a request (Harbor: 60 minutes). */
  sessionTimeoutMs?: number;
  /** Which Harbor `systeminfo` looks like (harbor-facts.md, "Version differences"); default 2.13. */
  version?: HarborVersion;
  /** Harbor treats its stored access tokens as expired at once, so every use of a CLI secret refreshes at the provider. */
  refreshOnEveryUse?: boolean;
  projects?: ProjectSpec[];
  tokenSigning: { privateKeyPem: string; certificateDerBase64: string };
}

export interface ProjectSpec {
  name: string;
  public: boolean;
  /** Usernames with developer access; `*` makes every onboarded OIDC user a member. */
  members: string[] | '*';
}

interface StoredToken {
  accessToken: string;
  refreshToken?: string;
  idToken: string;
  expiresAt: number;
}

interface HarborUserRecord {
  userId: number;
  username: string;
  email: string;
  subiss: string;
  secret: string;
  token: StoredToken;
  creationTime: string;
}

/** A beego session (src/core/session/session.go): the login's state and PKCE verifier, then the signed-in user. */
interface WebSession {
  state?: string;
  verifier?: string;
  userId?: number;
  expiresAt: number;
}

interface SecurityContext {
  kind: 'anonymous' | 'oidc' | 'admin' | 'robot';
  user?: HarborUserRecord;
  robot?: RobotRecord;
  username: string;
}

export const harborVersions = ['2.7', '2.10', '2.13'] as const;
export type HarborVersion = (typeof harborVersions)[number];

export const adminPassword = 'Harbor12345';
export const defaultHarborScope = 'openid profile email offline_access';
// src/lib/config/config.go: SessionCookieName; gorilla/csrf's default cookie name; src/server/middleware/csrf/csrf.go: tokenHeader.
export const sessionCookie = 'sid';
const csrfCookie = '_gorilla_csrf';
const csrfHeader = 'x-harbor-csrf-token';
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
const tokenIssuer = 'harbor-token-issuer';
const registryService = 'harbor-registry';

// Where Harbor accepts the CLI secret (security/oidc_cli.go); anywhere else it is ignored.
const cliSecretPaths: [string, RegExp][] = [
  ['*', /^\/service\/token$/],
  ['*', /^\/v2(\/|$)/],
  ['POST', /^\/api\/v2\.0\/projects$/],
  ['GET', /^\/api\/v2\.0\/projects$/],
  ['GET', /^\/api\/v2\.0\/systeminfo$/],
  ['GET', /^\/api\/version$/],
  ['GET', /^\/api\/v2\.0\/labels$/],
  ['GET', /^\/api\/v2\.0\/projects\/[^/]+\/repositories$/],
  ['GET', /^\/api\/v2\.0\/projects\/[^/]+\/repositories\/[^/]+\/artifacts$/],
  ['DELETE', /^\/api\/v2\.0\/projects\/.+\/tags\/[^/]+$/],
];

function errorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message }] });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve(body)).on('error', reject);
  });
}

/** Appends a Set-Cookie line; a later `writeHead` must not pass its own, or it would replace these. */
function addCookie(res: ServerResponse, line: string): void {
  const current = res.getHeader('set-cookie');
  res.setHeader('set-cookie', [...(Array.isArray(current) ? current : current === undefined ? [] : [String(current)]), line]);
}

function parseCookies(header: string | undefined): Record<string, string> {
  return Object.fromEntries((header ?? '').split(';').map((part) => part.trim().split('=')).filter(([k]) => k).map(([k, v]) => [k, v ?? '']));
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Harbor's rule for CLI secrets (requireValidSecret). */
export function validCliSecret(secret: string): boolean {
  return secret.length >= 8 && secret.length <= 128 && /[A-Z]/.test(secret) && /[a-z]/.test(secret) && /\d/.test(secret);
}

/** A secret Harbor generates: 32 characters at onboarding, 9 for an empty `cli_secret` PUT; always within its own rule. */
function generatedSecret(length: number): string {
  for (;;) {
    const candidate = randomBytes(length).toString('base64url').replace(/[-_]/g, '').slice(0, length);
    if (candidate.length === length && validCliSecret(candidate)) return candidate;
  }
}

export class HarborDouble {
  readonly server: Server;
  url = '';
  /** Secrets and tokens this double handed out or saw; the leak check looks for these. */
  readonly secretsSeen = new Set<string>();
  private readonly users = new Map<string, HarborUserRecord>();
  private readonly sessions = new Map<string, WebSession>();
  /** gorilla/csrf authenticates its cookie (securecookie); this key does that here. */
  private readonly csrfKey = randomBytes(32);
  /** Web sessions idle out after this long (Harbor's `session_timeout`); settable while running. */
  sessionTimeoutMs: number;
  /** The clock web sessions idle by; a test may move it instead of waiting. */
  sessionClock: () => number = Date.now;
  private readonly projects: ProjectSpec[];
  private nextUserId = 3;
  private config: oidc.Configuration | undefined;
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private registryBackend: URL | undefined;
  private issuer = '';
  private readonly signingKey: KeyObject;
  /** `METHOD /path` of every request received (no query strings, so no secrets). */
  readonly requestLog: string[] = [];
  /** When each request in `requestLog` arrived (epoch ms), entry for entry. */
  readonly requestTimes: number[] = [];
  /** Added before every response, to stand in for a network round trip (benchmarks). */
  responseDelayMs = 0;
  /** Robot accounts (`robot$<project>+<name>`), and the STACKIT service accounts linked to them. */
  readonly robots = new HarborRobots((project) => this.projectIdOf(project));

  constructor(private readonly options: HarborDoubleOptions) {
    this.projects = options.projects ?? [{ name: 'demo', public: false, members: '*' }];
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 60 * 60_000;
    this.signingKey = createPrivateKey(options.tokenSigning.privateKeyPem);
    this.server = createServer((req, res) => {
      this.requestLog.push(`${req.method} ${new URL(req.url ?? '/', 'http://double').pathname}`);
      this.requestTimes.push(Date.now());
      const handled = () =>
        this.handle(req, res).catch((error: unknown) => {
          if (!res.headersSent) send(res, 500, errorBody('INTERNAL_SERVER_ERROR', String(error)));
          else res.destroy();
        });
      if (this.responseDelayMs > 0) setTimeout(handled, this.responseDelayMs);
      else void handled();
    });
  }

  /** Listens on 127.0.0.1 on a port the OS picks; the issuer may be set up only after this (it needs our callback URL). */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  get callbackUrl(): string {
    return `${this.url}/c/oidc/callback`;
  }

  /** Harbor's OIDC endpoint setting; set after `listen` because the provider must know our callback URL first. */
  setIssuer(issuer: string): void {
    this.issuer = issuer;
  }

  setRegistryBackend(url: string): void {
    this.registryBackend = new URL(url);
  }

  async stop(): Promise<void> {
    await Promise.all(
      [this.server, ...this.extraServers.splice(0)].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }

  /** The same Harbor on `count` more ports of 127.0.0.1: to Berth, that many registries on as many hosts. */
  async listenAlso(count: number): Promise<string[]> {
    const urls: string[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer((req, res) => this.server.emit('request', req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.extraServers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    return urls;
  }

  /** Stops answering (the port is closed) until `resume`; users, secrets and stored tokens survive. */
  pause(): Promise<void> {
    return this.stop();
  }

  resume(): Promise<void> {
    return new Promise<void>((resolve) => this.server.listen(Number(new URL(this.url).port), '127.0.0.1', resolve));
  }

  private storedTokenExpiry(expiresIn: number | undefined): number {
    return this.options.refreshOnEveryUse ? 0 : Date.now() + (expiresIn ?? 0) * 1000;
  }

  /** The user as Harbor's database holds them, for assertions. */
  user(username: string): HarborUserRecord | undefined {
    return [...this.users.values()].find((user) => user.username === username);
  }

  /** Harbor's stored access token for the user has expired: the next use of the CLI secret makes Harbor refresh it. */
  expireAccessToken(username: string): void {
    const user = this.user(username);
    if (!user) throw new Error(`no Harbor user ${username}`);
    user.token.expiresAt = 0;
  }

  /** Harbor's stored session for the user ends, as when its refresh token idled out at the provider: the CLI secret is rejected. */
  expireSession(username: string): void {
    const user = this.user(username);
    if (!user) throw new Error(`no Harbor user ${username}`);
    delete user.token.refreshToken;
    user.token.expiresAt = 0;
  }

  /** The request's live web session; each request renews it, as beego's session release resets its lifetime. */
  private sessionOf(req: IncomingMessage): { sid: string; session: WebSession } | undefined {
    const sid = parseCookies(req.headers.cookie)[sessionCookie];
    const session = sid ? this.sessions.get(sid) : undefined;
    if (!sid || !session) return undefined;
    if (session.expiresAt <= this.sessionClock()) {
      this.sessions.delete(sid);
      return undefined;
    }
    session.expiresAt = this.sessionClock() + this.sessionTimeoutMs;
    return { sid, session };
  }

  /** beego's SessionStart: the request's session, or a new one with its cookie (a browser-session cookie, no Max-Age). */
  private startSession(req: IncomingMessage, res: ServerResponse): WebSession {
    const found = this.sessionOf(req);
    if (found) return found.session;
    const sid = randomBytes(16).toString('hex');
    const session: WebSession = { expiresAt: this.sessionClock() + this.sessionTimeoutMs };
    this.sessions.set(sid, session);
    addCookie(res, `${sessionCookie}=${sid}; Path=/; HttpOnly`);
    return session;
  }

  /** The user's web sessions end now, as after `session_timeout` without a request. */
  expireWebSessions(username: string): void {
    const userId = this.user(username)?.userId;
    for (const [sid, session] of this.sessions) if (session.userId === userId) this.sessions.delete(sid);
  }

  private csrfCookieValue(real: Buffer): string {
    return `${real.toString('base64url')}.${createHmac('sha256', this.csrfKey).update(real).digest('base64url')}`;
  }

  private csrfCookieToken(value: string | undefined): Buffer | undefined {
    const [token = '', mac = ''] = (value ?? '').split('.');
    const real = Buffer.from(token, 'base64url');
    return real.length === 32 && safeEqual(mac, createHmac('sha256', this.csrfKey).update(real).digest('base64url')) ? real : undefined;
  }

  /**
   * gorilla/csrf v1.7.2 as Harbor wires it (src/server/middleware/csrf/csrf.go): skipped for /v2/, /api/ and /service/
   * requests without the session cookie; otherwise every answer carries a fresh masked token in X-Harbor-CSRF-Token (and
   * the token cookie if the browser had none), and a call that is not GET/HEAD/OPTIONS/TRACE must send a token that unmasks
   * to the cookie's, else 403 with gorilla's failure reason. Returns whether the request was refused.
   */
  private csrf(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const carriesSession = parseCookies(req.headers.cookie)[sessionCookie] !== undefined;
    if ((path.startsWith('/v2/') || path.startsWith('/api/') || path.startsWith('/service/')) && !carriesSession) return false;
    let real = this.csrfCookieToken(parseCookies(req.headers.cookie)[csrfCookie]);
    if (!real) {
      real = randomBytes(32);
      addCookie(res, `${csrfCookie}=${this.csrfCookieValue(real)}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict`);
    }
    const pad = randomBytes(32);
    res.setHeader(csrfHeader, Buffer.concat([pad, Buffer.from(pad.map((byte, i) => byte ^ (real as Buffer)[i]!))]).toString('base64'));
    if (safeMethods.has(req.method ?? 'GET')) return false;
    const sent = req.headers[csrfHeader];
    const masked = typeof sent === 'string' ? Buffer.from(sent, 'base64') : Buffer.alloc(0);
    const unmasked = masked.length === 64 ? Buffer.from(masked.subarray(32).map((byte, i) => byte ^ masked[i]!)) : undefined;
    if (unmasked && timingSafeEqual(unmasked, real)) return false;
    this.csrfRefusals += 1;
    send(res, 403, errorBody('FORBIDDEN', typeof sent === 'string' && sent !== '' ? 'CSRF token invalid' : 'CSRF token not found in request'));
    return true;
  }

  /** How many calls the CSRF check refused. */
  csrfRefusals = 0;
  /** Harbor's next refreshes at the identity provider fail as if it were briefly unreachable (the CLI secret then gets a 401). */
  failingRefreshes = 0;
  /** Set: `/service/token` answers with this HTTP status and never looks at the credentials (Harbor core failing behind its proxy). */
  tokenServiceStatus: number | undefined;
  /** Set: `/v2/` answers with this HTTP status (Harbor's proxy with core or the registry down behind it). */
  registryStatus: number | undefined;
  /** Set: `/v2/` names this token service instead of Harbor's own, as a hostile or compromised answer would. */
  hostileRealm: string | undefined;
  /** Set: a `cli_secret` PUT is answered with a 307 to this URL instead of being applied. */
  redirectCliSecretTo: string | undefined;
  /** Set: `/service/token` takes requests and never answers (Harbor core hung behind its proxy); each one is counted. */
  stallTokenService = false;
  stalledTokenRequests = 0;
  /** Set: `/service/token` answers every request with a 307 to this URL (a hostile proxy in front of Harbor). */
  redirectTokenServiceTo: string | undefined;
  /** Set: `users/current` answers signed-in callers with this JSON instead of the user (a broken or hostile answer of the wrong shape). */
  currentUserAnswer: unknown;
  /** Set: the `cli_secret` PUT is refused with this status and message, in Harbor's error format, before anything changes. */
  failCliSecretWith: { status: number; message: string } | undefined;
  /** Called the moment a user's CLI secret changed (before the answer goes out). */
  onSecretChanged: ((username: string) => void) | undefined;
  private readonly extraServers: Server[] = [];

  private async oidcConfig(): Promise<oidc.Configuration> {
    this.config ??= await oidc.discovery(new URL(this.issuer), this.options.clientId, this.options.clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    return this.config;
  }

  private async verifyIdToken(idToken: string): Promise<{ sub: string; iss: string; preferred_username?: string; email?: string }> {
    const config = await this.oidcConfig();
    this.jwks ??= createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri as string));
    const { payload } = await jwtVerify(idToken, this.jwks, { issuer: this.issuer, audience: this.options.clientId });
    return payload as { sub: string; iss: string; preferred_username?: string; email?: string };
  }

  /** Project ids as Harbor numbers them, in the order the projects were created (library is 1). */
  private projectIdOf(name: string): number | undefined {
    const index = this.projects.findIndex((project) => project.name === name);
    return index === -1 ? undefined : index + 2;
  }

  private remember(...values: (string | undefined)[]): void {
    for (const value of values) if (value) this.secretsSeen.add(value);
  }

  /** VerifySecret (src/pkg/oidc/secret.go): secret match, then refresh the stored token when its access token expired. */
  private async verifyCliSecret(username: string, secret: string): Promise<HarborUserRecord | undefined> {
    const user = this.user(username);
    if (!user || !safeEqual(secret, user.secret)) return undefined;
    // oauth2's Token.Valid() treats a token as expired 10 s early.
    if (user.token.expiresAt - 10_000 > Date.now()) return user;
    if (!user.token.refreshToken) return undefined;
    if (this.failingRefreshes > 0) {
      this.failingRefreshes -= 1;
      return undefined;
    }
    try {
      const refreshed = await oidc.refreshTokenGrant(await this.oidcConfig(), user.token.refreshToken);
      user.token = {
        accessToken: refreshed.access_token,
        refreshToken: refreshed.refresh_token ?? user.token.refreshToken,
        idToken: refreshed.id_token ?? user.token.idToken,
        expiresAt: this.storedTokenExpiry(refreshed.expiresIn()),
      };
      this.remember(user.token.accessToken, user.token.refreshToken, user.token.idToken);
      return user;
    } catch {
      return undefined;
    }
  }

  private async securityContext(req: IncomingMessage, path: string): Promise<SecurityContext> {
    const anonymous: SecurityContext = { kind: 'anonymous', username: '' };
    const header = req.headers.authorization ?? '';
    const method = req.method ?? 'GET';
    if (/^basic /i.test(header)) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const at = decoded.indexOf(':');
      const username = decoded.slice(0, at);
      const password = decoded.slice(at + 1);
      const cliAllowed = cliSecretPaths.some(([m, pattern]) => (m === '*' || m === method) && pattern.test(path));
      if (cliAllowed && !username.startsWith('robot$')) {
        const user = await this.verifyCliSecret(username, password);
        if (user) return { kind: 'oidc', user, username: user.username };
      }
      // security.go tries the robot generator after the CLI secret; robot.go authenticates on every path.
      const robot = await this.robots.authenticate(username, password);
      if (robot) return { kind: 'robot', robot, username };
      // In oidc_auth mode only the admin (user_id 1) can use database basic auth.
      if (username === 'admin' && password === adminPassword) return { kind: 'admin', username: 'admin' };
      return anonymous;
    }
    if (/^bearer /i.test(header) && (path.startsWith('/api/') || path === '/service/token')) {
      const idToken = header.slice(7);
      this.remember(idToken);
      try {
        const claims = await this.verifyIdToken(idToken);
        const user = this.users.get(`${claims.sub}${claims.iss}`);
        if (user) return { kind: 'oidc', user, username: user.username };
      } catch {
        // An ID token Harbor cannot verify leaves the caller anonymous.
      }
      return anonymous;
    }
    // src/server/middleware/security/session.go: the user that the callback put into the session.
    const userId = this.sessionOf(req)?.session.userId;
    const user = userId === undefined ? undefined : [...this.users.values()].find((candidate) => candidate.userId === userId);
    return user ? { kind: 'oidc', user, username: user.username } : anonymous;
  }

  /** `systeminfo` as each version answers it: `oidc_provider_name` from 2.10; `harbor_version` anonymously only before 2.13. */
  private systemInfo(context: SecurityContext): Record<string, unknown> {
    const version = this.options.version ?? '2.13';
    const harborVersion = { harbor_version: `v${version}.0-double` };
    const anonymous = {
      auth_mode: 'oidc_auth',
      primary_auth_mode: false,
      self_registration: false,
      banner_message: '',
      ...(version === '2.7' ? {} : { oidc_provider_name: 'rig-idp' }),
      ...(version === '2.13' ? {} : harborVersion),
    };
    if (context.kind === 'anonymous') return anonymous;
    return { ...anonymous, ...harborVersion, external_url: this.url, registry_url: new URL(this.url).host, current_time: new Date().toISOString(), read_only: false, has_ca_root: false };
  }

  private userResp(user: HarborUserRecord) {
    return {
      user_id: user.userId,
      username: user.username,
      email: user.email,
      realname: user.username,
      comment: 'Onboarded via OIDC provider',
      sysadmin_flag: false,
      admin_role_in_auth: false,
      creation_time: user.creationTime,
      update_time: user.creationTime,
      oidc_user_meta: { id: user.userId, user_id: user.userId, subiss: user.subiss, secret: user.secret, creation_time: user.creationTime, update_time: user.creationTime },
    };
  }

  private actionsFor(context: SecurityContext, repository: string, requested: string[]): string[] {
    const project = this.projects.find((candidate) => candidate.name === repository.split('/')[0]);
    if (!project || !repository.includes('/')) return [];
    let allowed: string[] = [];
    if (context.kind === 'admin') allowed = ['pull', 'push', 'delete', '*'];
    else if (context.kind === 'robot' && context.robot) allowed = ['pull', 'push'].filter((action) => this.robots.may(context.robot as RobotRecord, this.projectIdOf(project.name) ?? -1, 'repository', action));
    else if (context.kind === 'oidc' && (project.members === '*' || project.members.includes(context.username))) allowed = ['pull', 'push'];
    else if (project.public) allowed = ['pull'];
    return requested.filter((action) => allowed.includes(action));
  }

  private async serviceToken(res: ServerResponse, url: URL, context: SecurityContext): Promise<void> {
    // src/core/service/token/token.go: an unknown service and an unauthenticated login answer with no body at all.
    if (url.searchParams.get('service') !== registryService) return void res.writeHead(400).end();
    const scopes = url.searchParams.getAll('scope').flatMap((scope) => scope.split(' ')).filter(Boolean);
    if (context.kind === 'anonymous' && scopes.length === 0) return void res.writeHead(401).end();
    const access = scopes.map((scope) => {
      const [type = '', ...rest] = scope.split(':');
      const actions = (rest.pop() ?? '').split(',');
      const name = rest.join(':');
      return { type, name, actions: type === 'repository' ? this.actionsFor(context, name, actions) : [] };
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = 1800;
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', x5c: [this.options.tokenSigning.certificateDerBase64] })
      .setIssuer(tokenIssuer)
      .setSubject(context.username)
      .setAudience(registryService)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomUUID())
      .sign(this.signingKey);
    this.remember(token);
    send(res, 200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() });
  }

  /** RedirectLogin (src/core/controllers/oidc.go): state and PKCE verifier into the session, then off to the provider. */
  private async webLogin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const config = await this.oidcConfig();
    const session = this.startSession(req, res);
    session.state = oidc.randomState();
    session.verifier = oidc.randomPKCECodeVerifier();
    const location = oidc.buildAuthorizationUrl(config, {
      ...this.options.extraRedirectParams,
      redirect_uri: this.callbackUrl,
      scope: this.options.scope ?? defaultHarborScope,
      state: session.state,
      code_challenge: await oidc.calculatePKCECodeChallenge(session.verifier),
      code_challenge_method: 'S256',
    });
    res.writeHead(302, { location: location.href }).end();
  }

  /** Callback (src/core/controllers/oidc.go): state checked, token stored for the user, then PopulateUserSession gives a new session id. */
  private async webCallback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const found = this.sessionOf(req);
    const session = found?.session;
    if (!found || !session || url.searchParams.get('state') !== session.state) return send(res, 400, errorBody('BAD_REQUEST', 'State mismatch'));
    if (url.searchParams.get('error')) return send(res, 400, errorBody('BAD_REQUEST', url.searchParams.get('error') as string));
    const tokens = await oidc.authorizationCodeGrant(await this.oidcConfig(), new URL(url.pathname + url.search, this.url), {
      pkceCodeVerifier: session.verifier as string,
      expectedState: session.state as string,
    });
    const claims = await this.verifyIdToken(tokens.id_token as string);
    const subiss = `${claims.sub}${claims.iss}`;
    const token: StoredToken = {
      accessToken: tokens.access_token,
      ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
      idToken: tokens.id_token as string,
      expiresAt: this.storedTokenExpiry(tokens.expiresIn()),
    };
    this.remember(token.accessToken, token.refreshToken, token.idToken);
    let user = this.users.get(subiss);
    if (user) {
      user.token = token;
    } else {
      // Onboarding: Harbor names the user after a claim and generates the first CLI secret.
      user = {
        userId: this.nextUserId++,
        username: claims.preferred_username ?? claims.sub,
        email: claims.email ?? '',
        subiss,
        secret: generatedSecret(32),
        token,
        creationTime: new Date().toISOString(),
      };
      this.users.set(subiss, user);
    }
    this.remember(user.secret);
    // src/core/api/base.go PopulateUserSession: SessionRegenerateID, then the user goes into the session.
    this.sessions.delete(found.sid);
    const sid = randomBytes(16).toString('hex');
    this.sessions.set(sid, { userId: user.userId, expiresAt: this.sessionClock() + this.sessionTimeoutMs });
    addCookie(res, `${sessionCookie}=${sid}; Path=/; HttpOnly`);
    res.writeHead(302, { location: '/' }).end();
  }

  private async setCliSecret(req: IncomingMessage, res: ServerResponse, userId: number, context: SecurityContext): Promise<void> {
    if (context.kind === 'anonymous') return send(res, 401, errorBody('UNAUTHORIZED', 'UnAuthorized'));
    const user = [...this.users.values()].find((candidate) => candidate.userId === userId);
    if (!user) return send(res, 404, errorBody('NOT_FOUND', `user ${userId} not found`));
    if (context.kind !== 'admin' && context.user?.userId !== userId) return send(res, 403, errorBody('FORBIDDEN', 'forbidden'));
    let secret = '';
    try {
      secret = (JSON.parse((await readBody(req)) || '{}') as { secret?: string }).secret ?? '';
    } catch {
      return send(res, 400, errorBody('BAD_REQUEST', 'invalid body'));
    }
    if (secret === '') secret = generatedSecret(9);
    else if (!validCliSecret(secret)) {
      return send(res, 400, errorBody('BAD_REQUEST', 'the secret must longer than 8 chars with at least 1 uppercase letter, 1 lowercase letter and 1 number'));
    }
    user.secret = secret;
    this.remember(secret);
    this.onSecretChanged?.(user.username);
    res.writeHead(200).end();
  }

  /**
   * `GET /api/v2.0/projects/{project_name_or_id}` (src/server/v2.0/handler/project.go GetProject): a name only with
   * `X-Is-Resource-Name: true`; `RequireProjectAccess(read)`: a public project for anyone, else a member, the admin, or a
   * robot whose permissions include `project:read` there.
   */
  private project(res: ServerResponse, nameOrId: string, isName: boolean, context: SecurityContext): void {
    const index = this.projects.findIndex((candidate, i) => (isName ? candidate.name === nameOrId : String(i + 2) === nameOrId));
    const project = this.projects[index];
    if (!project) return send(res, 404, errorBody('NOT_FOUND', `project ${nameOrId} not found`));
    const projectId = index + 2;
    const member = context.kind === 'oidc' && (project.members === '*' || project.members.includes(context.username));
    const robot = context.kind === 'robot' && this.robots.may(context.robot as RobotRecord, projectId, 'project', 'read');
    if (!project.public && context.kind !== 'admin' && !member && !robot) {
      return send(res, context.kind === 'anonymous' ? 401 : 403, errorBody(context.kind === 'anonymous' ? 'UNAUTHORIZED' : 'FORBIDDEN', 'forbidden'));
    }
    send(res, 200, { project_id: projectId, name: project.name, metadata: { public: String(project.public) } });
  }

  private proxyToRegistry(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (!this.registryBackend) return send(res, 503, errorBody('SERVICE_UNAVAILABLE', 'registry not configured'));
    const tags = req.method === 'GET' ? /^\/v2\/(.+)\/tags\/list$/.exec(path) : null;
    const upstream = forward(
      { host: this.registryBackend.hostname, port: this.registryBackend.port, method: req.method, path: req.url, headers: req.headers },
      (response) => {
        // src/server/registry/tag.go answers tags/list itself: a repository it does not know is Harbor's NOT_FOUND, not distribution's NAME_UNKNOWN.
        if (tags && response.statusCode === 404) {
          response.resume();
          return send(res, 404, errorBody('NOT_FOUND', `repository ${tags[1]} not found`));
        }
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('error', () => send(res, 502, errorBody('BAD_GATEWAY', 'registry unreachable')));
    req.pipe(upstream);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (this.csrf(req, res, path)) return;
    if (this.registryStatus !== undefined && (path === '/v2' || path.startsWith('/v2/'))) return send(res, this.registryStatus, errorBody('UNKNOWN', 'registry failing'));
    if (this.hostileRealm && path === '/v2/') return void res.writeHead(401, { 'www-authenticate': `Bearer realm="${this.hostileRealm}",service="${registryService}"` }).end();
    // Harbor core answers an unauthenticated /v2/ itself, naming its own token service (on whichever address it was asked).
    if (path === '/v2/' && !req.headers.authorization) {
      return void res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${req.headers.host ?? new URL(this.url).host}/service/token",service="${registryService}"` }).end();
    }
    if (path === '/v2' || path.startsWith('/v2/')) return this.proxyToRegistry(req, res, path);
    if (path === '/service/token' && this.tokenServiceStatus !== undefined) return send(res, this.tokenServiceStatus, errorBody('UNKNOWN', 'token service failing'));
    if (path === '/service/token' && this.redirectTokenServiceTo) return void res.writeHead(307, { location: this.redirectTokenServiceTo }).end();
    if (path === '/service/token' && this.stallTokenService) {
      this.stalledTokenRequests += 1;
      return;
    }
    if (method === 'GET' && path === '/c/oidc/login') return this.webLogin(req, res);
    if (method === 'GET' && path === '/c/oidc/callback') return this.webCallback(req, res, url);

    const context = await this.securityContext(req, path);
    if (path === '/service/token' && method === 'GET') return this.serviceToken(res, url, context);
    if (method === 'GET' && path === '/api/v2.0/systeminfo') return send(res, 200, this.systemInfo(context));
    if (method === 'GET' && path === '/api/v2.0/users/current') {
      if (context.kind === 'anonymous') return send(res, 401, errorBody('UNAUTHORIZED', 'UnAuthorized'));
      if (context.kind === 'admin') return send(res, 200, { user_id: 1, username: 'admin', sysadmin_flag: true, oidc_user_meta: null });
      if (this.currentUserAnswer !== undefined) return send(res, 200, JSON.stringify(this.currentUserAnswer));
      return send(res, 200, this.userResp(context.user as HarborUserRecord));
    }
    if (method === 'GET' && path === '/api/v2.0/robots') {
      const caller = context.kind === 'admin' ? 'admin' : context.robot;
      const { status, body } = this.robots.list(parseHarborQuery(url.searchParams.get('q')), caller);
      return send(res, status, body);
    }
    const projectPath = /^\/api\/v2\.0\/projects\/([^/]+)$/.exec(path);
    if (method === 'GET' && projectPath) return this.project(res, decodeURIComponent(projectPath[1] as string), req.headers['x-is-resource-name'] === 'true', context);
    const cliSecret = /^\/api\/v2\.0\/users\/(\d+)\/cli_secret$/.exec(path);
    if (method === 'PUT' && cliSecret && this.redirectCliSecretTo) return void res.writeHead(307, { location: this.redirectCliSecretTo }).end();
    if (method === 'PUT' && cliSecret && this.failCliSecretWith) return send(res, this.failCliSecretWith.status, errorBody('BAD_REQUEST', this.failCliSecretWith.message));
    if (method === 'PUT' && cliSecret) return this.setCliSecret(req, res, Number(cliSecret[1]), context);
    if (method === 'GET' && (path === '/' || path.startsWith('/harbor'))) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Harbor</title><h1>Harbor double</h1><p>${context.kind === 'oidc' ? `Logged in as ${context.username}` : 'Not logged in'}</p>`);
      return;
    }
    send(res, 404, errorBody('NOT_FOUND', `${method} ${path} not found`));
  }
}
