import { BerthError } from '../errors.js';
import { httpClient, networkError } from '../net/http.js';
import type { OidcClientSettings } from './provider.js';

const maxPageBytes = 64 * 1024;

/** The words of a provider's error page, without markup, scripts or control characters, short enough for one sentence. */
export function pageWords(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)))
    .replace(/&(amp|lt|gt|quot);/g, (_match, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"' })[name] ?? '')
    .replace(/\p{Cc}/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 240);
}

async function cappedText(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < maxPageBytes) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, maxPageBytes).toString('utf8');
}

// What providers print for these two mistakes: oidc-provider, Keycloak, Entra ID (AADSTS codes), Okta, Google.
const redirectRefused = /invalid_redirect_uri|redirect_uri_mismatch|redirect[_ ]uri|AADSTS50011/i;
const clientUnknown = /invalid_client|unauthorized_client|client not found|unknown client|AADSTS700016/i;

function refusedPage(status: number, words: string, settings: OidcClientSettings, redirectUri: string, host: string): BerthError {
  const { registry, clientId } = settings;
  const said = words ? `: "${words}"` : '';
  const webLogin = `or add the registry without --client-id to sign in through Harbor's web login, which needs nothing registered`;
  if (redirectRefused.test(words)) {
    return new BerthError(
      'oidc',
      `The identity provider at ${host} does not allow Berth's redirect URI ${redirectUri} for the client "${clientId}" (HTTP ${status}${said}). ` +
        `Its administrator must register http://127.0.0.1/callback for that client with any port allowed (RFC 8252); where the provider matches redirect URIs exactly, ` +
        `add the registry again with --loopback-port and the port registered there; ${webLogin}.`,
      { registry },
    );
  }
  if (clientUnknown.test(words)) {
    return new BerthError(
      'oidc',
      `The identity provider at ${host} does not know the client id "${clientId}" that ${registry} signs in with (HTTP ${status}${said}). ` +
        `Ask its administrator for Berth's client id, ${webLogin}.`,
      { registry },
    );
  }
  return new BerthError('oidc', `The identity provider at ${host} refused to start the sign-in to ${registry} (HTTP ${status}${said}).`, { registry });
}

/** What fixes an `error=` the provider sent back at once, where Berth can tell. */
function errorHint(error: string, authorizationUrl: URL, settings: OidcClientSettings): string {
  if (error !== 'invalid_scope') return '';
  const scopes = authorizationUrl.searchParams.get('scope') ?? '';
  return ` Berth asked for the scopes "${pageWords(scopes)}": the provider's administrator must allow them for the client "${settings.clientId}" (offline_access is what keeps the session for weeks), or a registry profile can name the scopes it allows ("scopes").`;
}

/**
 * Asks for the authorization URL without a browser, cookies or redirects: a provider that does not know the client,
 * or does not allow its redirect URI, says so at once instead of after a five-minute wait for a browser that never returns.
 */
export async function preflightAuthorization(authorizationUrl: URL, redirectUri: string, settings: OidcClientSettings): Promise<void> {
  let response: Response;
  try {
    response = await httpClient({ caFile: settings.caFile, timeoutMs: 10_000 })(authorizationUrl, { redirect: 'manual' });
  } catch (error) {
    throw networkError(error, authorizationUrl, settings.registry);
  }
  const location = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && location) {
    await response.body?.cancel();
    const target = new URL(location, authorizationUrl);
    const callback = new URL(redirectUri);
    const error = target.searchParams.get('error');
    if (target.origin === callback.origin && target.pathname === callback.pathname && error) {
      const description = target.searchParams.get('error_description');
      const said = `${pageWords(error)}${description ? ` (${pageWords(description)})` : ''}`;
      throw new BerthError('oidc', `The identity provider at ${authorizationUrl.host} refused the sign-in request of ${settings.registry}: ${said}.${errorHint(error, authorizationUrl, settings)}`, {
        registry: settings.registry,
      });
    }
    return;
  }
  if (response.status < 400) {
    await response.body?.cancel();
    return;
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw networkError(new Error(`HTTP ${response.status}`), authorizationUrl, settings.registry);
  }
  throw refusedPage(response.status, pageWords(await cappedText(response)), settings, redirectUri, authorizationUrl.host);
}
