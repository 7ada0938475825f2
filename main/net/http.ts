import { BerthError, errorMessage } from '../errors.js';
import { appNetworkFor, dispatcherFor, readCa, trustSystemCertificates, undici, type Fetch } from './network.js';
import { withStop } from './stop-signal.js';

export { readCa, type Fetch } from './network.js';

export type Response = globalThis.Response;

export interface HttpOptions {
  /** A PEM bundle trusted in addition to the system's roots, for private PKIs. */
  caFile?: string | undefined;
  timeoutMs?: number;
}

export const defaultTimeoutMs = 15_000;
/** No answer Berth reads (JSON documents, tokens, error pages) is anywhere near this; a bigger one is hostile or broken. */
export const maxAnswerBytes = 4 * 1024 * 1024;

// A chain that leads to no CA this machine trusts: a company or private CA Berth must be given.
const unknownCaCodes = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN']);
const selfSignedCode = 'DEPTH_ZERO_SELF_SIGNED_CERT';
const notTlsCodes = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO']);
const tlsCodes = new Set([...unknownCaCodes, selfSignedCode, ...notTlsCodes, 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID']);

// Chromium's names for the same failures, as the app's network (Electron's net.fetch) reports them.
const chromiumCodes: Record<string, string> = {
  'net::ERR_CERT_AUTHORITY_INVALID': 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'net::ERR_CERT_COMMON_NAME_INVALID': 'ERR_TLS_CERT_ALTNAME_INVALID',
  'net::ERR_CERT_DATE_INVALID': 'CERT_HAS_EXPIRED',
  'net::ERR_SSL_PROTOCOL_ERROR': 'EPROTO',
  'net::ERR_CONNECTION_REFUSED': 'ECONNREFUSED',
  'net::ERR_NAME_NOT_RESOLVED': 'ENOTFOUND',
};

/** The command that gives a registry its CA file: `berth set` for one Berth has, `berth add` while adding. */
function caFileCommand(registry: string | undefined, file: string): string {
  return registry ? `\`berth set ${registry} --ca-file ${file}\`` : `--ca-file ${file} (\`berth add harbor <name> --url … --ca-file ${file}\`, or \`berth set <name> --ca-file ${file}\` for a registry already added)`;
}

/** What the person can do about each kind of TLS failure: each has another cause and another fix. */
export function tlsAdvice(code: string, url: URL, registry?: string): string {
  if (unknownCaCodes.has(code)) {
    return `Its certificate is issued by a CA this machine does not trust (a company or private CA): give Berth that CA's certificate (PEM) with ${caFileCommand(registry, '<ca.pem>')}.`;
  }
  if (code === selfSignedCode) {
    return (
      `It presents a self-signed certificate, issued by no CA: ask its administrator for one from a CA your machines trust; ` +
      `or, if you are sure this is the right server, trust that very certificate with ${caFileCommand(registry, '<server-cert.pem>')} ` +
      `(\`openssl s_client -connect ${url.host} -showcerts\` prints it).`
    );
  }
  if (notTlsCodes.has(code)) return `It did not answer in TLS: that port may serve plain http, or it is the wrong port; check the URL ${url.origin}.`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `Its certificate is issued for another name than ${url.hostname}: use the name the certificate is for (the registry's administrator knows it).`;
  if (code === 'CERT_NOT_YET_VALID') return `Its certificate is not valid yet: this machine's clock is probably behind; turn on network time (Linux: \`timedatectl set-ntp true\`).`;
  return `Its certificate has expired: the server's administrator must renew it. If the date on this machine is wrong, fix the clock instead (Linux: \`timedatectl set-ntp true\`).`;
}

function causeCode(error: unknown): string | undefined {
  for (let current = error as { code?: unknown; cause?: unknown; message?: unknown } | undefined; current; current = current.cause as typeof current) {
    if (typeof current.code === 'string' && current.code !== 'UND_ERR_SOCKET') return current.code;
    const chromium = typeof current.message === 'string' ? chromiumCodes[current.message.trim()] : undefined;
    if (chromium) return chromium;
    if (typeof current !== 'object') break;
  }
  return undefined;
}

/** The TLS failure behind a transport error, if it was one: its code and the advice for it. */
export function tlsFailure(error: unknown, url: string | URL, registry?: string): { code: string; advice: string } | undefined {
  const code = causeCode(error);
  return code && tlsCodes.has(code) ? { code, advice: tlsAdvice(code, new URL(url), registry) } : undefined;
}

/** Turns a transport failure into `tls` or `unreachable`, naming the host and what the user can do; `registry` is a registry Berth has. */
export function networkError(error: unknown, url: string | URL, registry?: string): BerthError {
  if (error instanceof BerthError) return error;
  const host = new URL(url).host;
  const context = registry === undefined ? {} : { registry };
  const tls = tlsFailure(error, url, registry);
  if (tls) return new BerthError('tls', `TLS error talking to ${host} (${tls.code}). ${tls.advice}`, { ...context, cause: error });
  const { reason, advice } = whyUnreachable(error, url);
  return new BerthError('unreachable', `Cannot reach ${host} (${reason}). ${advice}`, { ...context, cause: error });
}

/** Why no answer came (an error code, or how long Berth waited) and what the person can do about it. */
export function whyUnreachable(error: unknown, url: string | URL): { reason: string; advice: string } {
  const code = causeCode(error);
  // Berth's own deadlines say how long they waited ("no complete answer within 15 s"); others just timed out.
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  const reason = code ?? (timedOut ? (/within \d+ s/.test(error.message) ? error.message : 'timed out') : errorMessage(error));
  return { reason, advice: reachAdvice(code, new URL(url)) };
}

/** What the person can do when no answer came: a refused port and an unknown name are no network trouble. */
function reachAdvice(code: string | undefined, url: URL): string {
  if (code === 'ECONNREFUSED') return `Nothing accepts connections on that port: the server is down or listens elsewhere${isLoopbackHost(url.hostname) ? '' : ', or a firewall refuses it'}.`;
  if (code === 'ENOTFOUND') return `This machine's DNS does not know the name ${url.hostname}: check its spelling, or connect the VPN whose DNS knows it.`;
  return 'Check the network or VPN and try again.';
}

/** The same answer, but a body larger than `limit` fails while it is read instead of filling memory. */
function capped(response: Response, limit: number): Response {
  if (!response.body) return response;
  const host = new URL(response.url || 'http://unknown').host;
  let seen = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > limit) controller.error(new BerthError('harbor', `${host} sent an answer larger than ${Math.round(limit / 1024 / 1024)} MB; Berth stopped reading it.`));
        else controller.enqueue(chunk);
      },
    }),
  );
  const limited = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(limited, 'url', { value: response.url });
  return limited;
}

/** Aborts after `ms` with a reason that says how long Berth waited (AbortSignal.timeout's only says "timeout"). */
function deadline(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(Object.assign(new Error(`no complete answer within ${ms / 1000} s`), { name: 'TimeoutError' })), ms).unref();
  return controller.signal;
}

/**
 * The one HTTP client: the desktop app's network (system proxy and certificates), else Node's fetch (undici's, with a
 * dispatcher, for a private CA or a proxy from the environment). Every request has a total deadline that covers reading
 * the body too (a server trickling a byte at a time cannot hold Berth), and a size cap.
 */
export function httpClient(options: HttpOptions = {}): Fetch {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  // The caller's signal, the stop of the work under way (a keep-alive that is stopping) and the deadline each end the request.
  const withTimeout = (init: RequestInit) => {
    const signal = withStop(init.signal);
    return { ...init, signal: signal ? AbortSignal.any([signal, deadline(timeoutMs)]) : deadline(timeoutMs) };
  };
  const { caFile } = options;
  // Read now, so a missing CA file is reported where the client is made.
  const ca = caFile ? readCa(caFile) : undefined;
  return async (url, init = {}) => {
    const app = appNetworkFor(caFile);
    if (app) return capped(await app(url, withTimeout(init)), maxAnswerBytes);
    if (new URL(url).protocol === 'https:') trustSystemCertificates();
    const dispatcher = dispatcherFor(caFile, ca);
    if (!dispatcher) return capped(await fetch(url, withTimeout(init)), maxAnswerBytes);
    const chosen = await dispatcher;
    const { fetch: undiciFetch } = undici();
    return capped((await undiciFetch(url, { ...(withTimeout(init) as Parameters<typeof undiciFetch>[1]), dispatcher: chosen })) as unknown as Response, maxAnswerBytes);
  };
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Plain http leaks tokens to anyone on the path; it is allowed only for this machine's own addresses. */
export function requireSecureUrl(value: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new BerthError('invalid-setting', `${field} "${value}" is not a URL.`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  if (url.protocol === 'http:') throw new BerthError('invalid-setting', `${field} (${value}) uses plain http; use https (plain http is allowed only on loopback addresses).`);
  throw new BerthError('invalid-setting', `${field} (${value}) must be an https URL.`);
}
