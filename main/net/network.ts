import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Dispatcher } from 'undici';
import { BerthError, errorMessage } from '../errors.js';

/** A fetch: Node's own, undici's with a dispatcher, or the desktop app's (Electron's `net.fetch`). */
export type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The desktop app's network: Electron's `net.fetch` goes through Chromium's stack, so the system proxy (PAC, WPAD, the
 * desktop's settings) and the OS certificate store apply as they do in the browser.
 */
let appNetwork: Fetch | undefined;

export function useAppNetwork(fetch: Fetch): void {
  appNetwork = fetch;
}

/** The app's network, unless a registry names its own CA file, which only Node's TLS can take. */
export function appNetworkFor(caFile: string | undefined): Fetch | undefined {
  return caFile ? undefined : appNetwork;
}

/** The proxy variables curl, docker and Go's tools read; any of them set means requests go through a proxy. */
export function proxyConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.https_proxy || env.HTTPS_PROXY || env.http_proxy || env.HTTP_PROXY);
}

/** NO_PROXY as given, plus this machine's own addresses, which no remote proxy can reach. */
function noProxy(env: NodeJS.ProcessEnv): string {
  return [env.no_proxy ?? env.NO_PROXY ?? '', 'localhost', '127.0.0.1', '[::1]'].filter(Boolean).join(',');
}

type CaReader = { getCACertificates?: (type: 'default' | 'system') => string[]; setDefaultCACertificates?: (certs: string[]) => void };
// Required when first needed: node:tls brings Node's crypto, which a plain-http check of a local registry never uses.
const tls = () => createRequire(import.meta.url)('node:tls') as typeof import('node:tls') & CaReader;
let systemTrusted = false;

/**
 * Trusts the OS certificate store beside Node's bundled roots, as browsers do: that is where an organisation puts its
 * TLS-inspecting or private CA. Node 22.19 and later (Electron 45's Node among them) can read it; older Node keeps its own.
 */
export function trustSystemCertificates(): void {
  if (systemTrusted) return;
  systemTrusted = true;
  const { getCACertificates, setDefaultCACertificates } = tls();
  if (typeof getCACertificates !== 'function' || typeof setDefaultCACertificates !== 'function') return;
  try {
    setDefaultCACertificates([...new Set([...getCACertificates('default'), ...getCACertificates('system')])]);
  } catch {
    // An unreadable system store leaves Node's bundled roots in place.
  }
}

/** The roots Node trusts now (bundled, and the system's where it can read them). */
function trustedRoots(): string[] {
  trustSystemCertificates();
  const loaded = tls();
  return loaded.getCACertificates?.('default') ?? [...loaded.rootCertificates];
}

/** The trusted roots plus a registry's private CA. */
export function readCa(caFile: string): string[] {
  try {
    return [...trustedRoots(), readFileSync(caFile, 'utf8')];
  } catch (error) {
    throw new BerthError('invalid-setting', `Cannot read the CA file ${caFile}: ${errorMessage(error)}`, { cause: error });
  }
}

/** undici, required when first needed (CommonJS, so the quick starts, which cannot import(), load it too). */
export const undici = () => createRequire(import.meta.url)('undici') as typeof import('undici');

const dispatchers = new Map<string, Promise<Dispatcher>>();

/**
 * undici's dispatcher for a private CA or a proxy from the environment (loaded only then: it is the slowest import on
 * the path of `berth check`); undefined when neither applies and Node's own fetch does.
 */
export function dispatcherFor(caFile: string | undefined, ca: string[] | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Dispatcher> | undefined {
  const proxied = proxyConfigured(env);
  if (!ca && !proxied) return undefined;
  const key = `${proxied ? 'proxy' : 'direct'}:${caFile ?? ''}`;
  let dispatcher = dispatchers.get(key);
  if (!dispatcher) {
    const tlsOptions = ca ? { ca } : {};
    dispatcher = Promise.resolve().then(() => {
      const { Agent, EnvHttpProxyAgent } = undici();
      return proxied
        ? new EnvHttpProxyAgent({ noProxy: noProxy(env), connect: { timeout: 10_000, ...tlsOptions }, requestTls: tlsOptions, keepAliveTimeout: 2_000 })
        : new Agent({ connect: { timeout: 10_000, ...tlsOptions }, keepAliveTimeout: 2_000 });
    });
    dispatchers.set(key, dispatcher);
  }
  return dispatcher;
}
