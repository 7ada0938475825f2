import { BerthError, errorMessage } from '../errors.js';
import { redact } from '../log/redact.js';
import type { BrowserOpener } from '../oidc/provider.js';
import { parseRegistryProfile } from '../settings/profile.js';
import { registryNamePattern } from '../settings/model.js';
import { addHarborInputProblems, addTokenInputProblems, pastedSecretProblems, registryChangeProblems } from '../settings/schema.js';
import type { AddHarborInput, AddTokenInput, AppSettings, BridgeEvent, BridgeMethod, BridgeReply, DesktopPreferences, PastedSecret, RegistryChange, RegistryView } from './bridge-contract.js';
import type { BerthApi } from './index.js';

/** The app around the window: whether its tray icon shows, its own preferences, and quitting. */
export interface DesktopShell {
  trayShown: boolean;
  preferences(): DesktopPreferences;
  setPreferences(change: Partial<DesktopPreferences>): void;
  quit(): void;
  /** How this install is updated when Berth cannot do it (a sentence), or null. */
  updatesOtherwise(): string | null;
  checkForUpdates(): Promise<string>;
  /**
   * A registry was just added from a profile that names a private update server: asks the person, naming the server,
   * and takes updates from it only if they agree. Resolves to whether they did.
   */
  offerUpdateServer(url: string, registry: string): Promise<boolean>;
}

/** What the window's calls need from the desktop: the system browser, the login items and the app itself. */
export interface BridgePlatform {
  /** Opens the system browser for a sign-in. */
  openBrowser: BrowserOpener;
  openExternal(url: string): Promise<void>;
  startAtLogin: { get(): boolean; set(on: boolean): void };
  desktop: DesktopShell;
}

/** Splits a settings change into the app's own preferences, checked here; the rest goes to the API, which checks it. */
function desktopChange(change: Partial<AppSettings>): Partial<DesktopPreferences> {
  const { closeWithoutTray, notifications, autoUpdate } = change;
  for (const given of ['trayShown', 'updatesOtherwise'] as const) {
    if (change[given] !== undefined) throw invalid(`settings with problems: ${given} is what the desktop offers, not a setting`);
  }
  if (closeWithoutTray !== undefined && closeWithoutTray !== 'minimize' && closeWithoutTray !== 'quit') throw invalid('settings with problems: closeWithoutTray must be "minimize" or "quit"');
  for (const [field, value] of [['notifications', notifications], ['autoUpdate', autoUpdate]] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw invalid(`settings with problems: ${field} must be true or false`);
  }
  return {
    ...(closeWithoutTray !== undefined ? { closeWithoutTray } : {}),
    ...(notifications !== undefined ? { notifications } : {}),
    ...(autoUpdate !== undefined ? { autoUpdate } : {}),
  };
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

/** A registry to add, and the update server of the profile it comes from, if the window sent one. */
function splitUpdateServer(payload: unknown): { input: unknown; updateUrl: unknown } {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || !('updateUrl' in payload)) return { input: payload, updateUrl: undefined };
  const { updateUrl, ...input } = payload as Record<string, unknown>;
  return { input, updateUrl };
}

/** The window's use cases over the API: every payload is checked at runtime before the API sees it. */
export function bridgeHandlers(api: BerthApi, platform: BridgePlatform): BridgeHandlers {
  const signIns = new Map<string, Promise<RegistryView>>();
  // The update servers of the profiles the window read: picking a file adopts nothing; adding a registry from it may offer it.
  const profileServers = new Set<string>();
  const settings = (): AppSettings => ({
    ...api.preferences(),
    ...platform.desktop.preferences(),
    startAtLogin: platform.startAtLogin.get(),
    trayShown: platform.desktop.trayShown,
    updatesOtherwise: platform.desktop.updatesOtherwise(),
  });
  // The identity provider's sign-in page, from its discovery document, opens only where the user configured one.
  const openBrowser: BrowserOpener = async (url) => {
    if (!externalUrlAllowed(url, api.trustedOrigins())) {
      throw new BerthError('usage', `The identity provider sent Berth to ${redact(url.slice(0, 200))}, which is not the registry or identity provider you configured; Berth did not open it.`);
    }
    await platform.openBrowser(url);
  };
  return {
    listRegistries: async () => api.listRegistries(),
    probeHarbor: async (payload) => api.probeHarbor(text(payload, 'Harbor URL', 2048)),
    readProfile: async (payload) => {
      const profile = parseRegistryProfile(text(payload, 'profile', 64 * 1024), 'The profile');
      if (profile.updateUrl) profileServers.add(profile.updateUrl);
      return profile;
    },
    addRegistry: async (payload) => {
      if ((payload as { kind?: unknown } | null)?.kind === 'token') return api.addRegistry(checked<AddTokenInput>(payload, addTokenInputProblems, 'a token registry'));
      const { input, updateUrl } = splitUpdateServer(payload);
      if (updateUrl !== undefined && (typeof updateUrl !== 'string' || !profileServers.has(updateUrl))) throw invalid('an update server that no profile it read named');
      const added = await api.addRegistry(checked<AddHarborInput>(input, addHarborInputProblems, 'a registry'));
      if (typeof updateUrl === 'string') await platform.desktop.offerUpdateServer(updateUrl, added.view.name);
      return added;
    },
    tokenAdvice: async (payload) => api.tokenAdvice(text(payload, 'registry URL', 2048)),
    replace: async (payload) => {
      const { name, ...pasted } = checked<PastedSecret & { name: string }>(payload, pastedSecretProblems, 'a new token');
      return api.replace(name, pasted);
    },
    updateRegistry: async (payload) => {
      const { name, ...change } = checked<RegistryChange & { name: string }>(payload, registryChangeProblems, 'a registry change');
      return (await api.updateRegistry(name, change)).view;
    },
    signIn: (payload) => {
      const name = registryName(payload);
      // A second click while the browser is open waits for the same sign-in instead of starting another.
      let pending = signIns.get(name);
      if (!pending) {
        pending = api.signIn(name, { openBrowser }).finally(() => signIns.delete(name));
        signIns.set(name, pending);
      }
      return pending;
    },
    signInWithSecret: async (payload) => {
      const { name, username, secret } = checked<PastedSecret & { name: string }>(payload, pastedSecretProblems, 'a sign-in');
      return api.signIn(name, { openBrowser, pasted: { username, secret } });
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
      const { startAtLogin, closeWithoutTray, notifications, autoUpdate, trayShown, updatesOtherwise, ...preferences } = payload as Partial<AppSettings>;
      if (startAtLogin !== undefined && typeof startAtLogin !== 'boolean') throw invalid('settings with problems: startAtLogin must be true or false');
      const desktop = desktopChange({ closeWithoutTray, notifications, autoUpdate, trayShown, updatesOtherwise });
      // The API checks the preferences; the app's own and the login item change only once they are in.
      if (Object.keys(preferences).length > 0) await api.updatePreferences(preferences);
      if (Object.keys(desktop).length > 0) platform.desktop.setPreferences(desktop);
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
    quit: async () => platform.desktop.quit(),
    checkForUpdates: async () => platform.desktop.checkForUpdates(),
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
