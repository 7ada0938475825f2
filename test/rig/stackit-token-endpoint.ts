import { createVerify, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';

/**
 * A test double of STACKIT's service-account token endpoint (`POST /token`), held to the client side of the key flow in
 * stackitcloud/stackit-sdk-go (core/clients/key_flow.go, auth_flow.go; HEAD 2b9d1c43b, core v0.26.0):
 * - the request is a form POST with `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and `assertion`, no client auth
 *   (key_flow.go `requestToken`);
 * - the assertion is an RS512 JWT with `kid` in its header and claims iss (the service account's e-mail), sub (its id), aud,
 *   jti, iat and exp (key_flow.go `generateSelfSignedJWT`: exp one hour on; STACKIT's "get access token" page says 600 s, so
 *   anything up to an hour and a bit of clock skew is accepted);
 * - its signature is checked against the public half of the key registered under that kid;
 * - an unknown or deleted kid gets 400 with the body STACKIT sent in stackit-sdk-go#731 ("Key with kid … was not found"),
 *   a bad assertion 400 in the service-account API's `Error` shape, a revoked account 403 in its `AuthError` shape
 *   (services/serviceaccount/v2api `CreateShortLivedAccessTokenExecute`);
 * - 200 carries access_token, expires_in, refresh_token, scope and token_type (all required in the v2api model); the access
 *   token is a JWT whose `exp` is all the SDK reads (auth_flow.go `tokenExpired`), short-lived so tests see several.
 * The refresh grant is not offered: the SDK deprecates it and Berth always signs a new assertion.
 */
export interface ServiceAccount {
  email: string;
  id: string;
  revoked: boolean;
}

interface RegisteredKey {
  publicKey: KeyObject;
  account: ServiceAccount;
  deleted: boolean;
}

/** What the Harbor double needs to accept a token as a password: its claims when this endpoint issued it and it is live. */
export type AccessTokenCheck = (token: string) => Promise<{ sub: string; email: string } | undefined>;

export const stackitAudience = 'https://stackit-service-account-prod.apps.01.cf.eu01.stackit.cloud';
const issuer = 'https://service-account.api.stackit.cloud';

export class StackitTokenEndpoint {
  readonly server: Server;
  url = '';
  /** Seconds an access token lives; a few in tests, so that several lifetimes pass quickly. */
  lifetimeSeconds = 60;
  /** Every access token issued, per service-account id, in order. */
  readonly mints: { at: number; account: string }[] = [];
  /** Tokens and private keys this double handed out: the leak check looks for these. */
  readonly secretsSeen = new Set<string>();
  private readonly keys = new Map<string, RegisteredKey>();
  private readonly accounts = new Map<string, ServiceAccount>();
  private signing: Awaited<ReturnType<typeof generateKeyPair>> | undefined;

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res).catch((error: unknown) => this.json(res, 500, { status: 500, error: 'Internal Server Error', message: String(error) })));
  }

  async listen(): Promise<string> {
    this.signing = await generateKeyPair('RS256');
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  serviceAccount(email: string): ServiceAccount {
    const account = { email, id: randomUUID(), revoked: false };
    this.accounts.set(account.id, account);
    return account;
  }

  /**
   * A new key for the account, as the portal hands it out (`ServiceAccountKeyResponse`, key_flow.go; the same object the
   * service-account API returns on key creation): STACKIT generated the pair, so the file carries the private key.
   */
  createKey(account: ServiceAccount, options: { validUntil?: Date; tokenEndpoint?: string } = {}): string {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomUUID();
    this.keys.set(kid, { publicKey, account, deleted: false });
    const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.secretsSeen.add(privateKeyPem);
    for (const line of privateKeyPem.split('\n')) if (line.length >= 60) this.secretsSeen.add(line);
    return JSON.stringify({
      id: randomUUID(),
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      createdAt: new Date().toISOString(),
      ...(options.validUntil ? { validUntil: options.validUntil.toISOString() } : {}),
      keyType: 'USER_MANAGED',
      keyOrigin: 'GENERATED',
      keyAlgorithm: 'RSA_2048',
      active: true,
      credentials: { kid, iss: account.email, sub: account.id, aud: stackitAudience, privateKey: privateKeyPem, ...(options.tokenEndpoint ? { tokenEndpoint: options.tokenEndpoint } : {}) },
    });
  }

  /** The key is deleted in the portal: its assertions are answered "Key with kid … was not found". */
  deleteKey(keyJson: string): void {
    const kid = (JSON.parse(keyJson) as { credentials: { kid: string } }).credentials.kid;
    const key = this.keys.get(kid);
    if (key) key.deleted = true;
  }

  /** How many access tokens this account got. */
  mintsFor(account: ServiceAccount): number {
    return this.mints.filter((mint) => mint.account === account.id).length;
  }

  /** For the Harbor double: a token this endpoint signed, not expired, for an account that is not revoked. */
  readonly verifyAccessToken: AccessTokenCheck = async (token) => {
    try {
      const { payload } = await jwtVerify(token, (this.signing as Awaited<ReturnType<typeof generateKeyPair>>).publicKey, { issuer });
      const account = this.accounts.get(String(payload.sub));
      return account && !account.revoked ? { sub: account.id, email: account.email } : undefined;
    } catch {
      return undefined;
    }
  };

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private badRequest(res: ServerResponse, message: string): void {
    // The `Error` schema of /token (v2api), as in the observed answer of stackit-sdk-go#731.
    this.json(res, 400, { timeStamp: new Date().toISOString().replace('Z', ''), path: '/token', status: 400, error: 'Bad Request', message });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || new URL(req.url ?? '/', this.url).pathname !== '/token') return this.json(res, 404, { status: 404, error: 'Not Found', message: 'not found' });
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) return this.badRequest(res, 'Content-Type must be application/x-www-form-urlencoded');
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return this.badRequest(res, `unsupported grant_type ${form.get('grant_type') ?? ''}`);
    const assertion = form.get('assertion') ?? '';
    const [headerPart = '', claimsPart = '', signature = ''] = assertion.split('.');
    let header: { alg?: string; kid?: string };
    let claims: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(headerPart, 'base64url').toString()) as typeof header;
      claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString()) as typeof claims;
    } catch {
      return this.badRequest(res, 'assertion is not a JWT');
    }
    const key = header.kid ? this.keys.get(header.kid) : undefined;
    if (!key || key.deleted) return this.badRequest(res, `Key with kid ${header.kid ?? ''} was not found`);
    if (header.alg !== 'RS512') return this.badRequest(res, `assertion must be signed with RS512, not ${header.alg ?? 'nothing'}`);
    const valid = createVerify('RSA-SHA512').update(`${headerPart}.${claimsPart}`).verify(key.publicKey, Buffer.from(signature, 'base64url'));
    if (!valid) return this.badRequest(res, 'assertion signature is invalid');
    const now = Math.floor(Date.now() / 1000);
    const { iss, sub, aud, jti, iat, exp } = claims;
    if (iss !== key.account.email || sub !== key.account.id || aud !== stackitAudience) return this.badRequest(res, 'assertion iss, sub or aud do not match the key');
    if (typeof jti !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') return this.badRequest(res, 'assertion needs jti, iat and exp');
    if (exp <= now || iat > now + 60 || exp - iat > 3600 + 60) return this.badRequest(res, 'assertion is expired or lives longer than an hour');
    if (key.account.revoked) return this.json(res, 403, { error: { code: 403, message: 'service account is revoked', status: 'FORBIDDEN' } });
    const signing = this.signing as Awaited<ReturnType<typeof generateKeyPair>>;
    const accessToken = await new SignJWT({ email: key.account.email })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(key.account.id)
      .setIssuedAt(now)
      .setExpirationTime(now + this.lifetimeSeconds)
      .setJti(randomUUID())
      .sign(signing.privateKey);
    const refreshToken = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).setIssuer(issuer).setSubject(key.account.id).setExpirationTime(now + 3600).sign(signing.privateKey);
    this.secretsSeen.add(accessToken);
    this.secretsSeen.add(refreshToken);
    this.mints.push({ at: Date.now(), account: key.account.id });
    this.json(res, 200, { access_token: accessToken, expires_in: this.lifetimeSeconds, refresh_token: refreshToken, scope: 'openid', token_type: 'Bearer' });
  }
}
