import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { Agent } from 'undici';
import { BerthError, errorMessage } from '../errors.js';

export type Response = globalThis.Response;

export interface HttpOptions {
  /** A PEM bundle trusted in addition to the system's roots, for private PKIs. */
  caFile?: string | undefined;
  timeoutMs?: number;
}

export type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

export const defaultTimeoutMs = 15_000;
/** No answer Berth reads (JSON documents, tokens, error pages) is anywhere near this; a bigger one is hostile or broken. */
export const maxAnswerBytes = 4 * 1024 * 1024;
const agents = new Map<string, Promise<Agent>>();

/** The system's roots plus the registry's private CA. */
export function readCa(caFile: string): string[] {
  try {
    return [...rootCertificates, readFileSync(caFile, 'utf8')];
  } catch (error) {
    throw new BerthError('invalid-setting', `Cannot read the CA file ${caFile}: ${errorMessage(error)}`, { cause: error });
  }
}

// undici is loaded only for a private CA: it is the slowest import on the path of `berth check`.
function agentFor(caFile: string, ca: string[]): Promise<Agent> {
  let agent = agents.get(caFile);
  if (!agent) {
    agent = import('undici').then(({ Agent }) => new Agent({ connect: { timeout: 10_000, ca }, keepAliveTimeout: 2_000 }));
    agents.set(caFile, agent);
  }
  return agent;
}

const tlsCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

function causeCode(error: unknown): string | undefined {
  for (let current = error as { code?: unknown; cause?: unknown } | undefined; current; current = current.cause as typeof current) {
    if (typeof current.code === 'string' && current.code !== 'UND_ERR_SOCKET') return current.code;
    if (typeof current !== 'object') break;
  }
  return undefined;
}

/** Turns a transport failure into `tls` or `unreachable`, naming the host and what the user can do. */
export function networkError(error: unknown, url: string | URL, registry?: string): BerthError {
  if (error instanceof BerthError) return error;
  const host = new URL(url).host;
  const code = causeCode(error);
  const context = registry === undefined ? {} : { registry };
  if (code && tlsCodes.has(code)) {
    return new BerthError('tls', `TLS error talking to ${host} (${code}). If it uses a private CA, pass its certificate with --ca-file.`, { ...context, cause: error });
  }
  // Berth's own deadlines say how long they waited ("no complete answer within 15 s"); others just timed out.
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  const reason = code ?? (timedOut ? (/within \d+ s/.test(error.message) ? error.message : 'timed out') : errorMessage(error));
  return new BerthError('unreachable', `Cannot reach ${host} (${reason}). Check the network or VPN and try again.`, { ...context, cause: error });
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
 * The one HTTP client: Node's fetch (undici's, with its Agent, when there is an extra CA). Every request has a total
 * deadline that covers reading the body too (a server trickling a byte at a time cannot hold Berth), and a size cap.
 */
export function httpClient(options: HttpOptions = {}): Fetch {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const withTimeout = (init: RequestInit) => ({ ...init, signal: init.signal ? AbortSignal.any([init.signal, deadline(timeoutMs)]) : deadline(timeoutMs) });
  const { caFile } = options;
  if (!caFile) return async (url, init = {}) => capped(await fetch(url, withTimeout(init)), maxAnswerBytes);
  // Read now, so a missing CA file is reported where the client is made.
  const ca = readCa(caFile);
  return async (url, init = {}) => {
    const [{ fetch: undiciFetch }, dispatcher] = await Promise.all([import('undici'), agentFor(caFile, ca)]);
    return capped((await undiciFetch(url, { ...(withTimeout(init) as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as Response, maxAnswerBytes);
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
