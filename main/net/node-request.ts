import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { defaultTimeoutMs, readCa, type HttpOptions } from './http.js';

/** The part of a fetch `Response` the registry checks read; fetch's own responses have it too. */
export interface HttpAnswer {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
  body?: { cancel(): Promise<void> } | null;
}

export type HttpRequest = (url: string | URL, init?: { method?: string; headers?: Record<string, string> }) => Promise<HttpAnswer>;

const maxRedirects = 5;

function answer(response: IncomingMessage): HttpAnswer {
  const status = response.statusCode ?? 0;
  let text: Promise<string> | undefined;
  const readText = () =>
    (text ??= new Promise<string>((resolve, reject) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.once('end', () => resolve(body));
      response.once('error', reject);
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
 * costs a short command like `berth check` more than its requests do. Follows redirects as fetch does.
 */
export function nodeRequest(options: HttpOptions = {}): HttpRequest {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const ca = options.caFile ? readCa(options.caFile) : undefined;
  const once = (url: URL, method: string, headers: Record<string, string>) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(url, { method, headers, timeout: timeoutMs, ...(ca ? { ca } : {}) }, resolve);
      request.once('timeout', () => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { name: 'TimeoutError' })));
      request.once('error', reject);
      request.end();
    });
  return async (target, init = {}) => {
    let url = new URL(target);
    const method = init.method ?? 'GET';
    let headers = { ...init.headers };
    for (let hop = 0; ; hop++) {
      const response = await once(url, method, headers);
      const location = response.headers.location;
      if (!location || ![301, 302, 303, 307, 308].includes(response.statusCode ?? 0) || hop === maxRedirects) return answer(response);
      response.resume();
      const next = new URL(location, url);
      // As fetch does: credentials do not follow a redirect to another origin.
      if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
      url = next;
    }
  };
}
