import type { CredentialTarget } from '../settings/model.js';
import type { ActivityEntry, AddedRegistry, AddHarborInput, AddTokenInput, CheckResult, HarborProbe, PastedSecret, RegistryChange, RegistryProfile, RegistryView, SignOutResult, TokenAdvice } from './contract.js';

export type { ActivityEntry, AddedRegistry, AddHarborInput, AddTokenInput, CheckResult, HarborProbe, PastedSecret, RegistryChange, RegistryProfile, RegistryView, SignOutResult, TokenAdvice } from './contract.js';
export type { CheckVerdict, MethodAbilities } from './contract.js';
export type { CredentialTarget, RegistryState, SignInMethod, TokenPointer } from '../settings/model.js';

/** What only the desktop app keeps (its own preference file): what closing the window does without a tray, and notifications. */
export interface DesktopPreferences {
  closeWithoutTray: 'minimize' | 'quit';
  notifications: boolean;
  /** Berth checks for, downloads and (when it quits) installs new versions by itself. */
  autoUpdate: boolean;
}

/** The window's settings: Berth's preferences (shared with the CLI), the app's own, and whether the app starts at login. */
export interface AppSettings extends DesktopPreferences {
  keepAliveHours: number;
  warnDays: number;
  target: CredentialTarget;
  startAtLogin: boolean;
  /** Read-only: whether this desktop shows Berth's tray icon; without one Berth runs as a window app with a Quit button. */
  trayShown: boolean;
  /** Read-only: how this install gets new versions when Berth cannot update itself, in a sentence; null when it can. */
  updatesOtherwise: string | null;
}

/** What the tray or a notification asks the window to show. */
export type RegistryIntent = 'regenerate' | 'check' | 'replace';

/** Pushed from the main process to the window; never carries a secret. */
export type BridgeEvent =
  | { type: 'registry-updated'; view: RegistryView }
  | { type: 'registry-removed'; name: string }
  | { type: 'activity'; entry: ActivityEntry }
  | { type: 'show-registry'; name: string; intent: RegistryIntent | null };

/** `window.berth`: the use cases the window may call, and one subscription to status events. */
export interface BerthBridge {
  listRegistries(): Promise<RegistryView[]>;
  probeHarbor(url: string): Promise<HarborProbe>;
  /** Reads a registry profile (the JSON an administrator hands out); the window sends the file's text. */
  readProfile(text: string): Promise<RegistryProfile>;
  /**
   * Adds a registry: a Harbor (signed in next), or a token registry (its token checked at the registry and stored at once).
   * `updateUrl`: the update server of the profile a Harbor is added from (one `readProfile` returned); once it is added,
   * Berth asks the person, naming the server, before taking updates from it.
   */
  addRegistry(input: (AddHarborInput & { updateUrl?: string }) | AddTokenInput): Promise<AddedRegistry>;
  /** Before adding a token registry: a free name, where its tokens are made, and this machine's suggested note. */
  tokenAdvice(url: string): Promise<TokenAdvice>;
  /** A new token for a token registry, checked at the registry before it replaces the old one everywhere. */
  replace(input: PastedSecret & { name: string }): Promise<RegistryView>;
  /** A token's end (or `null`: unknown) and note, as the person says. */
  updateRegistry(input: RegistryChange & { name: string }): Promise<RegistryView>;
  /** Signs in the registry's way (Berth's window onto Harbor's login, or the system browser) and resolves once it has finished. */
  signIn(name: string): Promise<RegistryView>;
  /** Signs in with a CLI secret the person copied from Harbor; checked before anything is stored. */
  signInWithSecret(input: PastedSecret & { name: string }): Promise<RegistryView>;
  /** Closes the registry's sign-in window (the person chose to paste the secret instead). */
  cancelSignIn(name: string): Promise<void>;
  signOut(name: string): Promise<SignOutResult>;
  removeRegistry(name: string): Promise<SignOutResult>;
  refresh(name: string): Promise<RegistryView>;
  regenerate(name: string): Promise<RegistryView>;
  check(reference: string): Promise<CheckResult>;
  activity(): Promise<ActivityEntry[]>;
  settings(): Promise<AppSettings>;
  updateSettings(change: Partial<AppSettings>): Promise<AppSettings>;
  /** Opens an http(s) URL of a configured registry or identity provider in the system browser. */
  openExternal(url: string): Promise<void>;
  /** Quits Berth (the window's Quit button, for desktops without a tray). */
  quit(): Promise<void>;
  /** Looks for a new version now; the answer is a sentence for the person. */
  checkForUpdates(): Promise<string>;
  /** Returns the function that unsubscribes. */
  onEvent(listener: (event: BridgeEvent) => void): () => void;
}

export type BridgeMethod = Exclude<keyof BerthBridge, 'onEvent'>;

// A record, so the compiler insists that every method of BerthBridge is listed, and nothing else.
const methodTable: Record<BridgeMethod, true> = {
  listRegistries: true,
  probeHarbor: true,
  readProfile: true,
  addRegistry: true,
  tokenAdvice: true,
  replace: true,
  updateRegistry: true,
  signIn: true,
  signInWithSecret: true,
  cancelSignIn: true,
  signOut: true,
  removeRegistry: true,
  refresh: true,
  regenerate: true,
  check: true,
  activity: true,
  settings: true,
  updateSettings: true,
  openExternal: true,
  quit: true,
  checkForUpdates: true,
};

export const bridgeMethods = Object.keys(methodTable) as BridgeMethod[];

/** The IPC channel of a method; events come on `bridgeEventChannel`. */
export function bridgeChannel(method: BridgeMethod): string {
  return `berth:${method}`;
}

export const bridgeEventChannel = 'berth:event';

/** How a call's outcome crosses IPC: Electron would reduce a thrown error to a prefixed message. */
export type BridgeReply = { ok: true; value: unknown } | { ok: false; error: string };
