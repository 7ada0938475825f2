import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * A browser without a person, over plain HTTP: follows redirects with a cookie jar and fills in
 * oidc-provider's login and consent forms. Usable in-process or as `berth login --browser-command`.
 */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
      for (const [host, values] of Object.entries(saved)) this.cookies.set(host, new Map(Object.entries(values)));
    }
  }

  // Like browsers, cookies are per host name, not per port.
  header(url: URL): string {
    return [...(this.cookies.get(url.hostname) ?? [])].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(url: URL, setCookies: string[]): void {
    const jar = this.cookies.get(url.hostname) ?? new Map<string, string>();
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = '', val = ''] = attribute.trim().split('=');
        return (key.toLowerCase() === 'max-age' && Number(val) <= 0) || (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now());
      });
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(url.hostname, jar);
    this.save();
  }

  private save(): void {
    if (!this.file) return;
    const plain = Object.fromEntries([...this.cookies].map(([host, values]) => [host, Object.fromEntries(values)]));
    writeFileSync(this.file, JSON.stringify(plain), { mode: 0o600 });
  }
}

export interface DriveOptions {
  login?: string;
  jar?: CookieJar;
  /** Press "cancel" at the provider: the client gets `error=access_denied`. */
  deny?: boolean;
  /** The code a device shows (RFC 8628), typed into the provider's device page at the verification URL. */
  userCode?: string;
}

export interface DriveResult {
  url: string;
  status: number;
  body: string;
}

/** The named form's action and hidden fields (oidc-provider's device pages carry an `xsrf` token). */
function namedForm(html: string, id: string, base: URL): { action: URL; fields: Record<string, string> } | undefined {
  const form = new RegExp(`<form[^>]*id="${id.replace(/\./g, '\\.')}"[^>]*>([\\s\\S]*?)</form>`, 'i').exec(html);
  const action = form ? /action="([^"]+)"/i.exec(form[0])?.[1] : undefined;
  if (!form || !action) return undefined;
  const fields: Record<string, string> = {};
  for (const input of (form[1] ?? '').matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]+)"/i.exec(input[0])?.[1];
    const value = /value="([^"]*)"/i.exec(input[0])?.[1];
    if (name && /type="hidden"/i.test(input[0])) fields[name] = (value ?? '').replace(/&amp;/g, '&');
  }
  return { action: new URL(action.replace(/&amp;/g, '&'), base), fields };
}

function formAction(html: string, base: URL): URL | undefined {
  const action = /<form[^>]*action="([^"]+)"/i.exec(html)?.[1];
  return action ? new URL(action.replace(/&amp;/g, '&'), base) : undefined;
}

export async function drive(start: string, options: DriveOptions = {}): Promise<DriveResult> {
  const jar = options.jar ?? new CookieJar();
  let url = new URL(start);
  let init: RequestInit = { method: 'GET' };
  let aborted = false;
  for (let step = 0; step < 30; step++) {
    const headers = new Headers(init.headers);
    const cookie = jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(url, response.headers.getSetCookie());
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      init = { method: 'GET' };
      continue;
    }
    const body = await response.text();
    // The device flow's pages: type the code the device shows, then confirm it (or abort, to deny).
    const codeForm = response.status === 200 && !aborted ? namedForm(body, 'op.deviceInputForm', url) : undefined;
    if (codeForm) {
      if (!options.userCode) throw new Error(`the device page at ${url.href} asks for a user code; none was given`);
      url = codeForm.action;
      init = { method: 'POST', body: new URLSearchParams({ ...codeForm.fields, user_code: options.userCode }), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      continue;
    }
    const confirmForm = response.status === 200 ? namedForm(body, 'op.deviceConfirmForm', url) : undefined;
    if (confirmForm) {
      url = confirmForm.action;
      // Aborting shows the code page again ("interrupted"): that page is where the person stops.
      aborted = options.deny === true;
      init = { method: 'POST', body: new URLSearchParams({ ...confirmForm.fields, ...(options.deny ? { abort: 'yes' } : {}) }), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      continue;
    }
    const isLogin = body.includes('name="prompt" value="login"');
    const isConsent = body.includes('name="prompt" value="consent"');
    if (response.status === 200 && (isLogin || isConsent)) {
      if (options.deny) {
        url = new URL(`${url.pathname.replace(/\/$/, '')}/abort`, url);
        init = { method: 'GET' };
        continue;
      }
      const action = formAction(body, url);
      if (!action) throw new Error(`no form on ${url.href}`);
      const form: Record<string, string> = isLogin ? { prompt: 'login', login: options.login ?? 'alice', password: 'x' } : { prompt: 'consent' };
      url = action;
      init = { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      continue;
    }
    return { url: url.href, status: response.status, body };
  }
  throw new Error(`too many redirects from ${start}`);
}

/** Goes straight back to the client's callback with this sign-in's `state` and the given query, as a provider's error redirect does. */
export async function answerCallback(authorizationUrl: string, query: string): Promise<DriveResult> {
  const authorization = new URL(authorizationUrl);
  const url = new URL(`${authorization.searchParams.get('redirect_uri') ?? ''}?${query}`);
  url.searchParams.set('state', authorization.searchParams.get('state') ?? '');
  const response = await fetch(url, { redirect: 'manual' });
  return { url: url.href, status: response.status, body: await response.text() };
}

// As a command: browser-driver.js [--login NAME] [--deny] [--cookie-jar FILE] [--user-code CODE] [--callback QUERY] <url>
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { login: { type: 'string' }, deny: { type: 'boolean' }, 'cookie-jar': { type: 'string' }, 'user-code': { type: 'string' }, callback: { type: 'string' } },
  });
  const target = positionals.at(-1);
  if (!target) {
    process.stderr.write('usage: browser-driver [--login NAME] [--deny] [--cookie-jar FILE] [--callback QUERY] <url>\n');
    process.exit(64);
  }
  const done = values.callback !== undefined ? answerCallback(target, values.callback) : drive(target, {
    ...(values.login ? { login: values.login } : {}),
    deny: values.deny === true,
    jar: new CookieJar(values['cookie-jar']),
    ...(values['user-code'] ? { userCode: values['user-code'] } : {}),
  });
  done.then(
    (result) => process.stderr.write(`browser-driver: ended at ${new URL(result.url).pathname} (HTTP ${result.status})\n`),
    (error: unknown) => {
      process.stderr.write(`browser-driver: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
