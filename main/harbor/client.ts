import { dockerUsernameProblem } from '../credentials/username.js';
import { BerthError } from '../errors.js';
import { printable } from '../log/printable.js';
import { networkError, type Fetch, type Response } from '../net/http.js';

export interface SystemInfo {
  authMode: string;
  oidcProviderName?: string;
  harborVersion?: string;
}

export interface HarborUser {
  userId: number;
  username: string;
  /** The plaintext CLI secret from `oidc_user_meta.secret`. */
  cliSecret: string;
}

interface UserResp {
  user_id?: unknown;
  username?: unknown;
  oidc_user_meta?: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** How a call to Harbor's API proves who makes it: Berth's ID token, or the browser's web session (`web-session.ts`). */
export interface HarborAuth {
  /** Headers for one call; `change` marks a call that is not a GET (a web session then needs Harbor's CSRF token). */
  headers(change: boolean): Record<string, string>;
  /** What Harbor's answer carries for the next call (a web session's CSRF token and cookies). */
  learn(response: Response): void;
}

/** An ID token as Bearer: Harbor accepts it only when its audience names Harbor's own client (harbor-facts.md). */
export function idTokenAuth(idToken: string): HarborAuth {
  return { headers: () => ({ authorization: `Bearer ${idToken}` }), learn: () => undefined };
}

/** Where a person logs in to Harbor's web UI, which onboards them and revives Harbor's stored OIDC session. */
export function harborWebLoginUrl(harborUrl: string): string {
  return new URL('c/oidc/login', harborUrl.endsWith('/') ? harborUrl : `${harborUrl}/`).toString();
}

/** The slice of Harbor's API Berth needs (facts in shared/harbor-facts.md). */
export class HarborClient {
  readonly base: URL;

  constructor(
    url: string,
    /** The HTTP client with this registry's CA; the registry's token service is reached with it too. */
    readonly fetch: Fetch,
    /** The registry Berth has for this Harbor; absent while one is being added. */
    private readonly registryName?: string,
  ) {
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
  }

  get host(): string {
    return this.base.host;
  }

  get webLoginUrl(): string {
    return harborWebLoginUrl(this.base.href);
  }

  // Never follow a redirect: it would carry the caller's cookies or a new secret to wherever it points.
  private async request(path: string, init: Parameters<Fetch>[1] = {}): Promise<Response> {
    const url = new URL(path, this.base);
    try {
      return await this.fetch(url, { ...init, redirect: 'manual' });
    } catch (error) {
      throw networkError(error, url, this.registryName);
    }
  }

  async systemInfo(): Promise<SystemInfo> {
    const response = await this.request('api/v2.0/systeminfo');
    if (!response.ok) throw await this.unexpected(response, 'systeminfo');
    const body = await this.json<unknown>(response, 'systeminfo');
    if (!isObject(body)) throw new BerthError('harbor', `Harbor at ${this.host} answered systeminfo with something other than an object.`, { registry: this.registryName });
    // Harbor's own words, shown to the person: no control characters get in.
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? printable(value, 100) : undefined);
    const oidcProviderName = text(body.oidc_provider_name);
    const harborVersion = text(body.harbor_version);
    return {
      authMode: text(body.auth_mode) ?? 'unknown',
      ...(oidcProviderName ? { oidcProviderName } : {}),
      ...(harborVersion ? { harborVersion } : {}),
    };
  }

  /** Refuses a Harbor that does not sign people in through OIDC: only those give CLI secrets. */
  async requireOidc(): Promise<void> {
    const info = await this.systemInfo();
    if (info.authMode !== 'oidc_auth') {
      throw new BerthError(
        'not-oidc',
        `Harbor at ${this.host} signs people in with ${info.authMode}, not OIDC single sign-on, so it has no CLI secrets for Berth to keep alive: use \`docker login ${this.host}\` with your Harbor password or a robot account.`,
        { registry: this.registryName },
      );
    }
  }

  /** `GET users/current`. `null` when Harbor treats the caller as anonymous (401). */
  async currentUser(auth: HarborAuth): Promise<HarborUser | null> {
    const response = await this.request('api/v2.0/users/current', { headers: auth.headers(false) });
    auth.learn(response);
    if (response.status === 401) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw await this.unexpected(response, 'users/current');
    const answer = await this.json<unknown>(response, 'users/current');
    const body: UserResp = isObject(answer) ? answer : {};
    const secret = isObject(body.oidc_user_meta) ? body.oidc_user_meta.secret : undefined;
    if (typeof body.user_id !== 'number' || typeof body.username !== 'string' || body.username === '') {
      throw new BerthError('harbor', `Harbor at ${this.host} sent a user without id or name.`, { registry: this.registryName });
    }
    if (dockerUsernameProblem(body.username)) {
      throw new BerthError('harbor', `Harbor at ${this.host} sent a user name docker cannot log in with (${JSON.stringify(printable(body.username))}).`, { registry: this.registryName });
    }
    if (typeof secret !== 'string' || secret === '') {
      throw new BerthError('not-oidc', `Harbor at ${this.host} has no CLI secret for ${body.username}: it is not an OIDC user (or Harbor is not in OIDC mode).`, {
        registry: this.registryName,
      });
    }
    return { userId: body.user_id, username: body.username, cliSecret: secret };
  }

  /** `PUT users/{id}/cli_secret`; the old secret stops working at once. */
  async setCliSecret(auth: HarborAuth, userId: number, secret: string): Promise<void> {
    const response = await this.request(`api/v2.0/users/${userId}/cli_secret`, {
      method: 'PUT',
      headers: { ...auth.headers(true), 'content-type': 'application/json' },
      body: JSON.stringify({ secret }),
    });
    auth.learn(response);
    if (!response.ok) throw await this.unexpected(response, 'the new CLI secret');
    await response.body?.cancel();
  }

  /** Where Harbor's own web login sends the browser: the identity provider's authorization URL (no login happens). */
  async webLoginRedirect(): Promise<URL | undefined> {
    const response = await this.request('c/oidc/login');
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return undefined;
    return new URL(location, this.base);
  }

  /** The client id Harbor's own web login uses. */
  async webLoginClientId(): Promise<string | undefined> {
    return (await this.webLoginRedirect())?.searchParams.get('client_id') ?? undefined;
  }

  /** The answer as JSON; anything else (a proxy's error page, a truncated body) is named as such, not as a network failure. */
  private async json<T>(response: Response, what: string): Promise<T> {
    try {
      return (await response.json()) as T;
    } catch (error) {
      if (error instanceof BerthError) throw new BerthError(error.code, error.message, { registry: this.registryName, cause: error });
      if (error instanceof SyntaxError) {
        throw new BerthError('harbor', `Harbor at ${this.host} answered ${what} with something other than JSON; is ${this.base.origin} the Harbor web address?`, { registry: this.registryName, cause: error });
      }
      throw networkError(error, new URL(what, this.base), this.registryName);
    }
  }

  private async unexpected(response: Response, what: string): Promise<BerthError> {
    const detail = await harborErrorMessage(response);
    if (response.status >= 500) {
      return networkError(new Error(`HTTP ${response.status}${detail ? `: ${detail}` : ''}`), new URL(what, this.base), this.registryName);
    }
    const location = response.headers.get('location');
    const redirected = response.status >= 300 && response.status < 400 ? ` (a redirect to ${location === null ? 'nowhere' : printable(location, 200)}, which Berth does not follow with credentials)` : '';
    return new BerthError('harbor', `Harbor at ${this.host} answered ${what} with HTTP ${response.status}${redirected}${detail ? `: ${detail}` : ''}.`, {
      registry: this.registryName,
    });
  }
}

/** Harbor's error body is `{"errors":[{"code","message"}]}`; its words without control characters, so no server can forge a line or an escape. */
async function harborErrorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { errors?: { code?: unknown; message?: unknown }[] };
    const said = (body.errors ?? []).map((error) => [error.message, error.code].find((text) => typeof text === 'string' && text !== '') ?? '').filter(Boolean).join('; ');
    return said === '' ? '' : printable(said as string, 300);
  } catch {
    return '';
  }
}
