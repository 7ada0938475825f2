import { BerthError } from '../errors.js';
import type { Response } from '../net/http.js';
import type { HarborAuth } from './client.js';

/** A cookie as a browser hands it over (Electron's `session.cookies`, Chromium's `context.cookies()`). */
export interface WebCookie {
  name: string;
  value: string;
}

// RFC 6265 cookie-octets: anything else could split the Cookie header.
const cookieName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const cookieValue = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/;

export const csrfHeader = 'x-harbor-csrf-token';

/**
 * Harbor's API as its web UI calls it, with the browser's cookies: `sid`, the session (src/core/main.go, beego), and
 * gorilla/csrf's cookie. A call that is not a GET and carries the session cookie needs the CSRF token Harbor sent in
 * `X-Harbor-CSRF-Token` on an earlier answer (src/server/middleware/csrf/csrf.go); Set-Cookie answers are kept too,
 * so a token and the cookie it belongs to always travel together.
 */
export function webSessionAuth(cookies: WebCookie[], registry: string): HarborAuth {
  const jar = new Map(cookies.filter((cookie) => cookieName.test(cookie.name) && cookieValue.test(cookie.value)).map((cookie) => [cookie.name, cookie.value]));
  let csrfToken: string | undefined;
  return {
    headers(change) {
      const headers: Record<string, string> = { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') };
      if (change) {
        if (!csrfToken) throw new BerthError('harbor', `Harbor sent no CSRF token for ${registry}'s web session; Berth cannot change anything with it.`, { registry });
        headers[csrfHeader] = csrfToken;
      }
      return headers;
    },
    learn(response: Response) {
      const token = response.headers.get(csrfHeader);
      if (token) csrfToken = token;
      for (const line of response.headers.getSetCookie()) {
        const pair = line.split(';', 1)[0] ?? '';
        const at = pair.indexOf('=');
        const name = pair.slice(0, at).trim();
        const value = pair.slice(at + 1).trim();
        if (at > 0 && cookieName.test(name) && cookieValue.test(value)) jar.set(name, value);
      }
    },
  };
}
