import { BerthError } from '../errors.js';
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
  user_id?: number;
  username?: string;
  oidc_user_meta?: { secret?: string } | null;
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
    private readonly registryName: string,
  ) {
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
  }

  get host(): string {
    return this.base.host;
  }

  get webLoginUrl(): string {
    return harborWebLoginUrl(this.base.href);
  }

  private async request(path: string, init: Parameters<Fetch>[1] = {}): Promise<Response> {
    const url = new URL(path, this.base);
    try {
      return await this.fetch(url, init);
    } catch (error) {
      throw networkError(error, url, this.registryName);
    }
  }

  async systemInfo(): Promise<SystemInfo> {
    const response = await this.request('api/v2.0/systeminfo');
    if (!response.ok) throw await this.unexpected(response, 'systeminfo');
    const body = (await response.json()) as { auth_mode?: string; oidc_provider_name?: string; harbor_version?: string };
    return {
      authMode: body.auth_mode ?? 'unknown',
      ...(body.oidc_provider_name ? { oidcProviderName: body.oidc_provider_name } : {}),
      ...(body.harbor_version ? { harborVersion: body.harbor_version } : {}),
    };
  }

  /** `GET users/current` with the ID token as Bearer. `null` when Harbor treats the caller as anonymous (401). */
  async currentUser(idToken: string): Promise<HarborUser | null> {
    const response = await this.request('api/v2.0/users/current', { headers: { authorization: `Bearer ${idToken}` } });
    if (response.status === 401) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw await this.unexpected(response, 'users/current');
    const body = (await response.json()) as UserResp;
    const secret = body.oidc_user_meta?.secret;
    if (typeof body.user_id !== 'number' || !body.username) {
      throw new BerthError('harbor', `Harbor at ${this.host} sent a user without id or name.`, { registry: this.registryName });
    }
    if (!secret) {
      throw new BerthError('not-oidc', `Harbor at ${this.host} has no CLI secret for ${body.username}: it is not an OIDC user (or Harbor is not in OIDC mode).`, {
        registry: this.registryName,
      });
    }
    return { userId: body.user_id, username: body.username, cliSecret: secret };
  }

  /** `PUT users/{id}/cli_secret` with the ID token; the old secret stops working at once. */
  async setCliSecret(idToken: string, userId: number, secret: string): Promise<void> {
    const response = await this.request(`api/v2.0/users/${userId}/cli_secret`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${idToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ secret }),
    });
    if (!response.ok) throw await this.unexpected(response, 'the new CLI secret');
    await response.body?.cancel();
  }

  /** The client id Harbor's own web login uses, read from the redirect of `/c/oidc/login` (no login happens). */
  async webLoginClientId(): Promise<string | undefined> {
    const response = await this.request('c/oidc/login', { redirect: 'manual' });
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return undefined;
    return new URL(location, this.base).searchParams.get('client_id') ?? undefined;
  }

  private async unexpected(response: Response, what: string): Promise<BerthError> {
    const detail = await harborErrorMessage(response);
    if (response.status >= 500) {
      return networkError(new Error(`HTTP ${response.status}${detail ? `: ${detail}` : ''}`), new URL(what, this.base), this.registryName);
    }
    return new BerthError('harbor', `Harbor at ${this.host} answered ${what} with HTTP ${response.status}${detail ? `: ${detail}` : ''}.`, {
      registry: this.registryName,
    });
  }
}

/** Harbor's error body is `{"errors":[{"code","message"}]}`. */
async function harborErrorMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { errors?: { code?: string; message?: string }[] };
    return (body.errors ?? []).map((error) => error.message ?? error.code ?? '').filter(Boolean).join('; ');
  } catch {
    return '';
  }
}
