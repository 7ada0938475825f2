import { BerthError, errorMessage } from '../errors.js';
import { redact } from '../log/redact.js';
import type { BrowserOpener } from '../oidc/provider.js';
import { parseRegistryProfile } from '../settings/profile.js';
import { registryNamePattern } from '../settings/model.js';
import { addHarborInputProblems, pastedSecretProblems } from '../settings/schema.js';
import type { AddHarborInput, AppSettings, BridgeEvent, BridgeMethod, BridgeReply, PastedSecret, RegistryView } from './bridge-contract.js';
import type { BerthApi } from './index.js';

/** What the window's calls need from the desktop: the system browser and the login items. */
export interface BridgePlatform {
  /** Opens the system browser for a sign-in. */
  openBrowser: BrowserOpener;
  openExternal(url: string): Promise<void>;
  startAtLogin: { get(): boolean; set(on: boolean): void };
}

export type BridgeHandlers = Record<BridgeMethod, (payload: unknown) => Promise<unknown>>;

function invalid(what: string): BerthError {
  return new BerthError('usage', `The window sent ${what}.`);
}

function registryName(payload: unknown): string {
  if (typeof payload !== 'string' || !registryNamePattern.test(payload)) throw invalid('an invalid registry name');
  return payload;
}

function text(payload: unknown, what: string, maxLength: number): string {
  if (typeof payload !== 'string' || payload.length === 0 || payload.length > maxLength) throw invalid(`an invalid ${what}`);
  return payload;
}

function checked<T>(payload: unknown, problems: (value: unknown) => string[], what: string): T {
  const found = problems(payload);
  if (found.length > 0) throw invalid(`${what} with problems: ${found.join('; ')}`);
  return payload as T;
}

/** Only pages of the registries and identity providers the user configured may open in the browser. */
export function externalUrlAllowed(url: string, trustedOrigins: string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && trustedOrigins.includes(parsed.origin);
}

/** The window's use cases over the API: every payload is checked at runtime before the API sees it. */
export function bridgeHandlers(api: BerthApi, platform: BridgePlatform): BridgeHandlers {
  const signIns = new Map<string, Promise<RegistryView>>();
  const settings = (): AppSettings => ({ ...api.preferences(), startAtLogin: platform.startAtLogin.get() });
  return {
    listRegistries: async () => api.listRegistries(),
    probeHarbor: async (payload) => api.probeHarbor(text(payload, 'Harbor URL', 2048)),
    readProfile: async (payload) => parseRegistryProfile(text(payload, 'profile', 64 * 1024), 'The profile'),
    addRegistry: async (payload) => api.addRegistry(checked<AddHarborInput>(payload, addHarborInputProblems, 'a registry')),
    signIn: (payload) => {
      const name = registryName(payload);
      // A second click while the browser is open waits for the same sign-in instead of starting another.
      let pending = signIns.get(name);
      if (!pending) {
        pending = api.signIn(name, { openBrowser: platform.openBrowser }).finally(() => signIns.delete(name));
        signIns.set(name, pending);
      }
      return pending;
    },
    signInWithSecret: async (payload) => {
      const { name, username, secret } = checked<PastedSecret & { name: string }>(payload, pastedSecretProblems, 'a sign-in');
      return api.signIn(name, { openBrowser: platform.openBrowser, pasted: { username, secret } });
    },
    cancelSignIn: async (payload) => api.cancelSignIn(registryName(payload)),
    signOut: async (payload) => api.signOut(registryName(payload)),
    removeRegistry: async (payload) => api.removeRegistry(registryName(payload)),
    refresh: async (payload) => api.refresh(registryName(payload)),
    regenerate: async (payload) => api.regenerate(registryName(payload)),
    check: async (payload) => api.check(text(payload, 'image reference', 512)),
    activity: async () => api.activity(),
    settings: async () => settings(),
    updateSettings: async (payload) => {
      if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) throw invalid('settings that are not an object');
      const { startAtLogin, ...preferences } = payload as Partial<AppSettings>;
      if (startAtLogin !== undefined && typeof startAtLogin !== 'boolean') throw invalid('settings with problems: startAtLogin must be true or false');
      // The API checks the preferences; the login item changes only once they are in.
      if (Object.keys(preferences).length > 0) await api.updatePreferences(preferences);
      if (startAtLogin !== undefined) platform.startAtLogin.set(startAtLogin);
      return settings();
    },
    openExternal: async (payload) => {
      const url = text(payload, 'URL', 2048);
      if (!externalUrlAllowed(url, api.trustedOrigins())) {
        throw new BerthError('usage', `Berth opens only the web pages of your registries and identity providers, not ${url}.`);
      }
      await platform.openExternal(url);
    },
  };
}

/** Runs one call from the window; a failure comes back as its message, passed through redaction like every log line. */
export async function answerBridgeCall(handler: BridgeHandlers[BridgeMethod], payload: unknown): Promise<BridgeReply> {
  try {
    return { ok: true, value: await handler(payload) };
  } catch (error) {
    return { ok: false, error: redact(errorMessage(error)) };
  }
}

/** Forwards the API's status events to the window; returns the function that stops. */
export function forwardBridgeEvents(api: BerthApi, send: (event: BridgeEvent) => void): () => void {
  const stops = [
    api.on('registry-updated', ({ view }) => send({ type: 'registry-updated', view })),
    api.on('registry-removed', ({ name }) => send({ type: 'registry-removed', name })),
    api.on('activity', (entry) => send({ type: 'activity', entry })),
  ];
  return () => stops.forEach((stop) => stop());
}
