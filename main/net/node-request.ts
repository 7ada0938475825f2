import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { BerthError } from '../errors.js';
import { defaultTimeoutMs, httpClient, maxAnswerBytes, readCa, type HttpOptions } from './http.js';
import { appNetworkFor, proxyConfigured, trustSystemCertificates } from './network.js';
import { stopSignal } from './stop-signal.js';

// Required, not imported: the ESM view of node:http reads every export, and its WebSocket getters load Node's undici (a fifth of `berth check`'s start).
// node:https (and with it TLS and crypto) only for an https registry.
const require = createRequire(import.meta.url);
const { request: httpRequest } = require('node:http') as typeof import('node:http');

/** The part of a fetch `Response` the registry checks read; fetch's own responses have it too. */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
  body?: { cancel(): Promise<void> } | null;
}

/** `redirect: 'manual'` hands back a redirect instead of following it (for a request that carries credentials). */
export type HttpRequest = (url: string | URL, init?: { method?: string; headers?: Record<string, string>; redirect?: 'follow' | 'manual' }) => Promise<HttpAnswer>;

const maxRedirects = 5;

/** Why a request was cut off by Berth (its deadline), so the reader of its body can say so instead of "aborted". */
const cutOff = new WeakMap<IncomingMessage, Error>();

function answer(response: IncomingMessage, host: string): HttpAnswer {
  const status = response.statusCode ?? 0;
  let text: Promise<string> | undefined;
  const readText = () =>
    (text ??= new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxAnswerBytes) {
          response.destroy(new BerthError('harbor', `${host} sent an answer larger than ${Math.round(maxAnswerBytes / 1024 / 1024)} MB; Berth stopped reading it.`));
          return;
        }
        chunks.push(chunk);
      });
      response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      response.once('error', (error) => reject(cutOff.get(response) ?? error));
      response.once('close', () => reject(cutOff.get(response) ?? new Error('the connection closed before the answer was complete')));
    }));
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name) {
        const value = response.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    text: readText,
    json: async () => JSON.parse(await readText()) as unknown,
    body: {
      cancel: async () => {
        response.resume();
      },
    },
  };
}

/**
 * HTTP for the registry checks over Node's own http and https modules: fetch's parser is WebAssembly, and compiling it
 * costs a short command like `berth check` more than its requests do. Follows redirects as fetch does. Each request has a
 * total deadline, body included, and its answer a size cap.
 */
export function nodeRequest(options: HttpOptions = {}): HttpRequest {
  // Through a proxy, or in the desktop app, the one HTTP client does it: speed matters less there than the route.
  if (proxyConfigured() || appNetworkFor(options.caFile)) {
    const fetch = httpClient(options);
    return (url, init = {}) => fetch(url, init);
  }
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const ca = options.caFile ? readCa(options.caFile) : undefined;
  // One deadline for the request and every redirect after it: a server that redirects cannot buy itself more time.
  const once = (url: URL, method: string, headers: Record<string, string>, until: number) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const send = url.protocol === 'https:' ? (require('node:https') as typeof import('node:https')).request : httpRequest;
      let response: IncomingMessage | undefined;
      const left = Math.max(0, until - Date.now());
      const request = send(url, { method, headers, timeout: left, ...(ca ? { ca } : {}) }, (answered) => {
        response = answered;
        resolve(answered);
      });
      const cut = (error: Error) => {
        if (response) cutOff.set(response, error);
        request.destroy(error);
      };
      const late = () => cut(Object.assign(new Error(`no complete answer within ${timeoutMs / 1000} s`), { name: 'TimeoutError' }));
      // The deadline covers the body too: a server trickling a byte at a time never trips the idle timeout.
      const deadline = setTimeout(late, left);
      deadline.unref();
      // A keep-alive that is stopping does not wait for this answer.
      const stop = stopSignal();
      const stopped = () => cut(stop?.reason instanceof Error ? stop.reason : new Error('stopped'));
      if (stop?.aborted) stopped();
      stop?.addEventListener('abort', stopped, { once: true });
      request.once('close', () => {
        clearTimeout(deadline);
        stop?.removeEventListener('abort', stopped);
      });
      request.once('timeout', late);
      request.once('error', reject);
      request.end();
    });
  return async (target, init = {}) => {
    let url = new URL(target);
    if (url.protocol === 'https:') trustSystemCertificates();
    const method = init.method ?? 'GET';
    let headers = { ...init.headers };
    const until = Date.now() + timeoutMs;
    for (let hop = 0; ; hop++) {
      const response = await once(url, method, headers, until);
      const location = response.headers.location;
      if (!location || init.redirect === 'manual' || ![301, 302, 303, 307, 308].includes(response.statusCode ?? 0) || hop === maxRedirects) return answer(response, url.host);
      response.resume();
      const next = new URL(location, url);
      // As fetch does: credentials do not follow a redirect to another origin.
      if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
      url = next;
    }
  };
}
