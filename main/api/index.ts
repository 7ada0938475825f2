import { BerthError, errorMessage, type ErrorCode } from '../errors.js';
import { berthHelper, dockerHubKey, hostOf, registryKey } from '../credentials/docker-config.js';
import type { CredentialTarget, DockerCredentialsTarget, WrittenTo } from '../credentials/docker-target.js';
import { dockerSourceFor, helperCredential } from '../credentials/docker-credentials.js';
import { watchFiles } from '../credentials/file-watch.js';
import { findOnPath } from '../credentials/find-on-path.js';
import { dockerUsernameProblem } from '../credentials/username.js';
import { KeepAliveScheduler, type SchedulerDependencies } from '../keepalive/scheduler.js';
import type { RegistryLocks } from '../keepalive/registry-lock.js';
import { printable } from '../log/printable.js';
import type { Logger } from '../log/logger.js';
import { stopSignal, withStopSignal } from '../net/stop-signal.js';
import type { ChallengeCache } from '../registry/challenge-cache.js';
import type { CheckResult } from '../registry/pull-check.js';
import { checkImage, type CheckOptions } from './check.js';
import type { BrowserOpener } from '../oidc/provider.js';
import type { HarborWebWindows } from '../harbor/web-windows.js';
import { abilities, methodFor, methodForInput, type DeviceSignInChoice, type MethodDependencies, type SessionOutcome, type SignedIn } from '../providers/method.js';
import type { ChosenSecretStore } from '../secrets/chosen-store.js';
import { credentialSecretKind, secretKinds, type SecretStore } from '../secrets/keychain.js';
import {
  registryNamePattern,
  signInMethodOf,
  type Preferences,
  type RegistrySettings,
  type RegistryState,
  type RegistryStatusRecord,
  type SecretStoreKind,
  type TokenRegistrySettings,
} from '../settings/model.js';
import type { SettingsStore, StatusStore } from '../settings/stores.js';
import { memoryActivityLog, type ActivityLog } from '../settings/activity-log.js';
import { preferencesChangeProblems } from '../settings/schema.js';
import { probeHarbor } from '../harbor/probe.js';
import { checkedCaFile, checkedScopes, checkKeepAliveHours, checkWarnDays, registryOrigin } from '../providers/registry-address.js';
import { jwtExpiry, givenExpiry } from '../providers/token.js';
import { oneTokenPerMachine, suggestedNote, tokenPointer } from '../providers/token-pointers.js';
import type { ActivityEntry, AddedRegistry, AddRegistryInput, DockerLogin, HarborProbe, PastedSecret, RegistryChange, RegistryView, SignOutResult, StatusEvents, TokenAdvice, UpdatedRegistry } from './contract.js';
import { TypedEvents } from './events.js';
import { idleDeadlineFrom, keepAliveIntervalMs, registryView, renewalDue, stateWords } from './registry-view.js';

export type { ActivityEntry, AddedRegistry, AddHarborInput, AddRegistryInput, AddStackitInput, AddTokenInput, DockerLogin, HarborProbe, PastedSecret, RegistryChange, RegistryView, SignOutResult, StatusEvents, TokenAdvice, UpdatedRegistry } from './contract.js';
export type { CheckResult } from '../registry/pull-check.js';
export type { CheckOptions } from './check.js';

export interface ApiDependencies {
  settings: SettingsStore;
  status: StatusStore;
  /** The store in use; with `kind` and `stores`, the keychain and the file store the person can move secrets between. */
  secrets: SecretStore & Partial<Pick<ChosenSecretStore, 'kind' | 'fromEnvironment' | 'stores'>>;
  docker: DockerCredentialsTarget;
  locks: RegistryLocks;
  /** Remembered registry challenges, so `check` can skip `GET /v2/`. */
  challenges?: ChallengeCache;
  /** The window's activity list; in memory when absent. */
  activity?: ActivityLog;
  log: Logger;
  /** Berth's windows onto Harbor's web UI (the app's; Chromium in tests); without them, web sign-in takes a pasted secret. */
  webWindows?: HarborWebWindows;
  /** How long to wait before asking Harbor again about a rejected CLI secret (default 3 s). */
  recheckDelayMs?: number;
  now?: () => Date;
}

export interface SignInOptions {
  openBrowser: BrowserOpener;
  timeoutMs?: number;
  onCallback?: () => void;
  /** A CLI secret the person copied from Harbor (method `web`): checked, then used instead of a sign-in window. */
  pasted?: PastedSecret;
  /** Method `oidc`: the device sign-in, asked for or as the way where no browser can open. */
  device?: DeviceSignInChoice;
}

const defaultSignInTimeoutMs = 5 * 60 * 1000;

function registryHost(registry: RegistrySettings): string {
  return hostOf(registry.url);
}

/** A Berth registry name for a host docker logged in to: `registry.example.org:5000` → `registry.example.org-5000`. */
function nameForHost(key: string): string {
  const host = registryKey(key) === dockerHubKey ? 'docker.io' : hostOf(key).toLowerCase();
  return host.replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63) || 'registry';
}

/** What a failure means for the state: only an authoritative answer changes it (offline is not expired). */
function stateAfterFailure(previous: RegistryState, code: ErrorCode | undefined, background: boolean): RegistryState {
  if (code === 'needs-web-login') return 'needs-web-login';
  if (code === 'keychain-locked' || code === 'keychain') return 'keychain-locked';
  if (previous === 'signed-out' || code === 'lock-timeout') return previous;
  if (code === 'session-ended') return 'needs-sign-in';
  if (code === 'rejected' && background) return 'rejected';
  if (code === 'unreachable') return 'offline';
  // A credential target Berth could not write may hold another secret than the keychain: never `valid`.
  if (code === 'file-write' || code === 'helper') return 'error';
  if (code === 'tls' || code === 'audience' || code === 'issuer' || background) return 'error';
  return previous;
}

// A credential put back this often within the window is a fight with another writer, not a person's `docker logout`.
const fightLimit = 3;
const fightWindowMs = 60_000;

function contestedError(registry: RegistrySettings, differing: string[]): BerthError {
  return new BerthError(
    'file-write',
    `Another program keeps changing the credential for ${registryHost(registry)} in ${differing.join(', ')}: Berth put it back ${fightLimit} times within a minute and stopped. ` +
      `Find what writes it (another credential manager, a script running docker login), then run \`berth refresh ${registry.name}\`.`,
    { registry: registry.name },
  );
}

const journalWords = 'A new CLI secret from an interrupted `berth regenerate` is kept, and Berth puts it in place as soon as Harbor accepts it.';

function optionalDate(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Date.parse(value);
}

export type KeepAliveOptions = Pick<SchedulerDependencies, 'clock' | 'random' | 'timing' | 'onPass'>;

/** What one keep-alive pass left: the registry as it is now (none when it was removed), and whether a stop cut the pass short. */
interface PassResult {
  view: RegistryView | undefined;
  stopped: boolean;
}

/** The use cases of Berth as one surface; the CLI, the tests and (later) the IPC layer all call this. */
export function createApi(deps: ApiDependencies) {
  const now = deps.now ?? (() => new Date());
  const events = new TypedEvents<StatusEvents>((error) => deps.log.warn('a status listener failed', { reason: errorMessage(error) }));
  const passes = new Map<string, Promise<PassResult>>();
  // When each registry's credential was last put back after another program changed it, within the last minute.
  const restoredAt = new Map<string, number[]>();
  // Sign-ins under way, so the person can break one off even before its window or listener exists.
  const signIns = new Map<string, AbortController>();
  const activity = deps.activity ?? memoryActivityLog();

  /** Adds a line to the activity list and tells the listeners; `text` must never hold a secret. */
  function note(registry: string | null, kind: ActivityEntry['kind'], text: string): void {
    const entry: ActivityEntry = { at: now().toISOString(), registry, kind, text };
    activity.add(entry);
    events.emit('activity', entry);
  }

  function view(registry: RegistrySettings, preferences = deps.settings.preferences()): RegistryView {
    return registryView(registry, deps.status.get(registry.name), preferences, now().getTime());
  }

  function views(registries: RegistrySettings[]): RegistryView[] {
    const preferences = deps.settings.preferences();
    return registries.map((registry) => view(registry, preferences));
  }

  /**
   * Every status write goes through here, so listeners hear about each change. `change` gets the record as it is under
   * status.json's lock (another process may have changed it since this one read it) and returns the new one, or `null`.
   */
  function record(registry: RegistrySettings, change: (current: RegistryStatusRecord) => RegistryStatusRecord | null): void {
    const preferences = deps.settings.preferences();
    const { before, after } = deps.status.update(registry.name, change);
    if (after === before) return;
    const at = now().getTime();
    const from = registryView(registry, before, preferences, at).state;
    // The record just written is the one to show; no need to read the file back.
    const updated = registryView(registry, after, preferences, at);
    events.emit('registry-updated', { name: registry.name, view: updated });
    if (updated.state !== from) {
      deps.log.info('state changed', { registry: registry.name, from, to: updated.state });
      note(registry.name, 'state', `Now ${stateWords[updated.state]} (was ${stateWords[from]}).${updated.lastError ? ` ${updated.lastError}` : ''}`);
      events.emit('registry-status-changed', { name: registry.name, from, to: updated.state, view: updated });
    }
  }

  /** What an open journal means for a registry that is not valid now: said with its error, so nobody thinks the new secret is gone. */
  function withJournal(current: RegistryStatusRecord, lastError: string | undefined): string | undefined {
    if (!current.pendingSecretSince || current.state === 'valid') return lastError;
    return `${lastError ?? ''} ${journalWords}`.trim();
  }

  function recordFailure(registry: RegistrySettings, error: unknown, background: boolean): void {
    const code = error instanceof BerthError ? error.code : undefined;
    const actionUrl = error instanceof BerthError ? error.actionUrl : undefined;
    record(registry, (current) => {
      const next = { ...current, state: stateAfterFailure(current.state, code, background), actionUrl };
      return { ...next, lastError: withJournal(next, errorMessage(error)) };
    });
  }

  function applyOutcome(registry: RegistrySettings, outcome: SessionOutcome): void {
    const at = now();
    record(registry, (current) => {
      // An answer that states no end replaces one learned before; no answer (the provider unreachable) keeps it.
      const end =
        outcome.sessionExpiresAt === null
          ? { sessionExpiresAt: undefined, sessionFixed: undefined }
          : { sessionExpiresAt: outcome.sessionExpiresAt?.toISOString() ?? current.sessionExpiresAt, sessionFixed: outcome.sessionFixed ?? current.sessionFixed };
      const next: RegistryStatusRecord = {
        ...current,
        state: outcome.state,
        username: outcome.username || current.username,
        writtenTo: outcome.writtenTo ?? current.writtenTo,
        ...(registry.kind === 'harbor' ? { secretAccepted: outcome.keptAlive } : {}),
        ...(outcome.keptAlive ? { lastKeptAliveAt: at.toISOString(), ...(registry.kind === 'harbor' ? { idleDeadline: idleDeadlineFrom(registry, at).toISOString() } : {}) } : {}),
        ...end,
        ...learnedExpiry(outcome, current),
        accessTokenExpiresAt: outcome.accessTokenExpiresAt?.toISOString() ?? current.accessTokenExpiresAt,
        actionUrl: outcome.actionUrl,
      };
      return { ...next, lastError: withJournal(next, outcome.lastError) };
    });
  }

  /** A token's end as the registry says it now replaces what Berth knew, unless the person gave a date. */
  function learnedExpiry(outcome: SessionOutcome, current: RegistryStatusRecord): Pick<RegistryStatusRecord, 'expiresAt' | 'expirySource'> {
    if (outcome.expiresAt === undefined || current.expirySource === 'given') return { expiresAt: current.expiresAt, expirySource: current.expirySource };
    return { expiresAt: outcome.expiresAt?.toISOString(), expirySource: outcome.expirySource };
  }

  function methodDependencies(registry: RegistrySettings): MethodDependencies {
    return {
      secrets: deps.secrets,
      writeCredential: (username, secret) => deps.docker.store({ server: registryHost(registry), username, secret }, registry.name, registry.target),
      ...(deps.webWindows ? { webWindows: deps.webWindows } : {}),
      signInTimeoutMs: defaultSignInTimeoutMs,
      exclusive: (work) => deps.locks.withLock(registry.name, work),
      recheckDelayMs: deps.recheckDelayMs ?? 3000,
      // The journal's flag in status.json tells every reader (the helper, check, status, the app) that a new secret waits to be put in place.
      journal: {
        open: () => record(registry, (current) => ({ ...current, pendingSecretSince: now().toISOString() })),
        close: () => {
          if (deps.status.get(registry.name).pendingSecretSince) record(registry, (current) => (current.pendingSecretSince ? { ...current, pendingSecretSince: undefined } : null));
        },
      },
    };
  }

  function signedInRegistry(name: string): RegistrySettings {
    const registry = deps.settings.get(name);
    if (!deps.status.get(name).signedInAt) {
      throw new BerthError('not-signed-in', `${name} is not signed in: sign in first (Berth's tray, or \`berth login ${name}\`).`, { registry: name });
    }
    return registry;
  }

  async function runPass(name: string): Promise<PassResult> {
    const started = now().getTime();
    let registry: RegistrySettings | undefined;
    let stopped = false;
    try {
      await deps.locks.withLock(name, async () => {
        // Read after taking the lock: another process may have signed out, changed the user or the target meanwhile.
        registry = deps.settings.find(name);
        const current = deps.status.get(name);
        if (!registry || !current.signedInAt) return;
        const session = {
          ...(current.username !== undefined ? { username: current.username } : {}),
          signedInAt: new Date(current.signedInAt),
          ...(current.sessionExpiresAt ? { sessionExpiresAt: new Date(current.sessionExpiresAt) } : {}),
          renewedAt: new Date(current.lastKeptAliveAt ?? current.signedInAt),
          ...(current.berthSession ? { berthSession: current.berthSession } : {}),
        };
        const outcome = await (await methodFor(registry)).keepAlive(registry, session, methodDependencies(registry));
        // A state is a promise: `valid` only once every target holds the secret Harbor just accepted.
        const kept = registry;
        // Targets another program kept changing are only compared, not rewritten, until the person takes them back.
        const leaveAlone =
          current.contestedSince !== undefined
            ? (differing: string[]) => {
                throw contestedError(kept, differing);
              }
            : undefined;
        const repaired = outcome.keptAlive ? await repairTargets(kept, outcome.username, leaveAlone) : undefined;
        applyOutcome(kept, repaired ? { ...outcome, writtenTo: repaired } : outcome);
        // The other program stopped, and the targets hold Berth's credential again.
        if (leaveAlone && outcome.keptAlive) record(kept, (latest) => ({ ...latest, contestedSince: undefined }));
      });
    } catch (error) {
      registry ??= deps.settings.find(name);
      // Stopping (Ctrl-C, quitting the app) is not something that happened to the registry: nothing is recorded.
      stopped = stopSignal()?.aborted === true;
      if (stopped) deps.log.info('keep-alive pass stopped', { registry: name });
      else if (registry) recordFailure(registry, error, true);
    }
    registry ??= deps.settings.find(name);
    const result = registry && view(registry);
    deps.log.info('keep-alive pass', { registry: name, state: result?.state ?? 'removed', ms: now().getTime() - started });
    return { view: result, stopped };
  }

  /** One pass per registry at a time in this process; callers arriving meanwhile share its result. */
  async function refreshOne(name: string): Promise<RegistryView> {
    return (await passFor(name)).view;
  }

  /** One pass per registry at a time in this process; callers arriving meanwhile share its result. */
  async function passFor(name: string): Promise<{ view: RegistryView; stopped: boolean }> {
    const registry = signedInRegistry(name);
    let pass = passes.get(name);
    if (!pass) {
      pass = runPass(registry.name).finally(() => passes.delete(name));
      passes.set(name, pass);
    }
    const { view: seen, stopped } = await pass;
    return { view: seen ?? view(registry), stopped };
  }

  /**
   * Rolls forward what a killed or failed `regenerate` left (its journal is open in status.json): the next command that
   * reads the credential runs a keep-alive pass for the registry first, which puts the new secret in place.
   */
  async function settleJournals(names?: string[]): Promise<void> {
    const records = deps.status.all();
    const open = deps.settings.registries().filter((registry) => records[registry.name]?.pendingSecretSince && records[registry.name]?.signedInAt && (!names || names.includes(registry.name)));
    await Promise.all(open.map((registry) => refreshOne(registry.name)));
  }

  function keepAliveScheduler(options: KeepAliveOptions = {}): KeepAliveScheduler {
    const scheduler = new KeepAliveScheduler({
      ...options,
      targets: () => {
        // One read of each file, however many registries there are.
        const preferences = deps.settings.preferences();
        const records = deps.status.all();
        return deps.settings.registries().map((registry) => {
          const current = records[registry.name] ?? { state: 'signed-out' as const };
          return {
            name: registry.name,
            intervalMs: current.signedInAt ? keepAliveIntervalMs(registry, preferences) : null,
            state: registryView(registry, current, preferences, now().getTime()).state,
            lastKeptAliveAt: optionalDate(current.lastKeptAliveAt),
            nextKeepAliveAt: optionalDate(current.nextKeepAliveAt),
            dueBy: renewalDue(registry, current),
            ...(current.pendingSecretSince ? { journalSince: current.pendingSecretSince } : {}),
          };
        });
      },
      // The scheduler's stop signal reaches every request, wait and helper the pass starts.
      runPass: async (name, signal) => {
        const { view: seen, stopped } = await withStopSignal(signal, () => passFor(name));
        return stopped ? null : seen.state;
      },
      planned: (name, at) => {
        const registry = deps.settings.find(name);
        if (registry) record(registry, (current) => (current.signedInAt ? { ...current, nextKeepAliveAt: at.toISOString() } : null));
      },
    });
    events.on('registry-status-changed', () => scheduler.sync());
    return scheduler;
  }

  const api = {
    /** Subscribe to status events; returns the function that unsubscribes. */
    on: events.on.bind(events),

    /** A registry from what the person gave; the registry's method checks it and builds its settings (a token or key is checked and stored too). */
    async addRegistry(input: AddRegistryInput): Promise<AddedRegistry> {
      if (!registryNamePattern.test(input.name)) {
        const lower = input.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63);
        throw new BerthError('usage', `"${input.name}" is not a valid registry name: use lower-case letters, digits, ".", "_" and "-" (up to 63)${lower ? `, e.g. "${lower}"` : ''}.`);
      }
      if (deps.settings.find(input.name)) throw new BerthError('exists', `A registry named "${input.name}" already exists; remove it first or pick another name.`, { registry: input.name });
      const method = await methodForInput(input);
      const prepared = await method.prepare(input, {
        preferences: deps.settings.preferences(),
        requireFreeHost: (host) => {
          const existing = managedFor(registryKey(host));
          if (existing) throw new BerthError('exists', `${host} is already in Berth as "${existing.name}"; one registry per host (remove "${existing.name}" first to add it again).`, { registry: existing.name });
        },
        now,
      });
      const { registry, warnings, signedIn } = prepared;
      deps.settings.add(registry);
      deps.log.info('registry added', { registry: registry.name, kind: registry.kind, method: method.name, host: registryHost(registry) });
      note(registry.name, 'action', prepared.added);
      if (signedIn) {
        try {
          await deps.locks.withLock(registry.name, () => completeSignIn(registry, signedIn, now()));
        } catch (error) {
          // A registry that could not be stored whole is not left half there; its secrets go first, so a kill meanwhile leaves none that no registry names.
          for (const kind of secretKinds) await deps.secrets.delete(registry.name, kind).catch(() => undefined);
          deps.status.remove(registry.name);
          deps.settings.remove(registry.name);
          throw error;
        }
      }
      for (const warning of warnings) {
        deps.log.warn(warning, { registry: registry.name });
        note(registry.name, 'problem', warning);
      }
      return { view: view(registry), warnings };
    },

    /**
     * Changes a registry without removing it (validated as `add` validates), under its lock and the settings file's, and
     * says for each change when it takes effect.
     */
    async updateRegistry(name: string, change: RegistryChange): Promise<UpdatedRegistry> {
      const registry = deps.settings.get(name);
      const given = Object.entries(change).filter(([, value]) => value !== undefined).map(([field]) => field);
      if (given.length === 0) throw new BerthError('usage', `Nothing to change for ${name}: give --ca-file, --keep-alive-hours, --warn-days, --scope, --username, --expires or --note.`);
      if ((change.expiresAt !== undefined || change.note !== undefined) && registry.kind !== 'token') {
        throw new BerthError('usage', `${name} is not a token registry: Berth knows when its credential ends by itself, and it has no note.`, { registry: name });
      }
      const expiresAt = change.expiresAt === undefined || change.expiresAt === null ? change.expiresAt : givenExpiry(change.expiresAt, name);
      checkKeepAliveHours(change.keepAliveHours, name);
      checkWarnDays(change.warnDays, name);
      const method = signInMethodOf(registry);
      if (change.scopes !== undefined && method !== 'oidc') throw new BerthError('usage', `--scope is for registries that sign in with Berth's own client; ${name} signs in ${method === 'web' ? "through Harbor's web login" : 'with a token'}, which asks for no scopes.`);
      if (change.username !== undefined && method === 'oidc') throw new BerthError('usage', `${name} signs in with Berth's own client, where the identity provider says who you are: it takes no --username.`);
      const usernameProblem = change.username === undefined ? null : dockerUsernameProblem(change.username);
      if (usernameProblem) throw new BerthError('usage', `The user name ${JSON.stringify(printable(change.username as string))} for ${name} ${usernameProblem}.`);
      const caFile = change.caFile ? checkedCaFile(change.caFile, name) : change.caFile;
      const scopes = change.scopes === undefined ? undefined : checkedScopes(change.scopes, name);
      const host = registryHost(registry);
      const changes: string[] = [];
      let updated = registry;
      await deps.locks.withLock(name, async () => {
        updated = deps.settings.update(name, (current) => {
          const next: Record<string, unknown> = { ...current };
          if (caFile !== undefined) next.caFile = caFile ?? undefined;
          if (change.keepAliveHours !== undefined) next.keepAliveHours = change.keepAliveHours;
          if (change.warnDays !== undefined) next.warnDays = change.warnDays;
          if (scopes !== undefined) next.scopes = scopes;
          if (change.username !== undefined) next.username = change.username;
          if (change.note !== undefined) next.note = change.note.trim() || undefined;
          return JSON.parse(JSON.stringify(next)) as RegistrySettings;
        });
        if (expiresAt !== undefined) {
          record(updated, ({ expiresAt: _end, expirySource: _source, ...known }) => ({ ...known, ...(expiresAt ? { expiresAt: expiresAt.toISOString(), expirySource: 'given' as const } : {}) }));
        }
        if (change.keepAliveHours !== undefined) {
          const interval = keepAliveIntervalMs(updated, deps.settings.preferences());
          record(updated, (current) => {
            if (!current.signedInAt) return null;
            // The next pass follows the new interval from the last one, so `status` and a running keep-alive agree at once.
            const last = Date.parse(current.lastKeptAliveAt ?? current.signedInAt);
            return { ...current, nextKeepAliveAt: interval === null ? undefined : new Date(Math.max(now().getTime(), last + interval)).toISOString() };
          });
        }
      });
      const status = deps.status.get(name);
      if (caFile === null) changes.push(`Berth trusts only this machine's CAs for ${host} and its identity provider again, from the next request.`);
      else if (caFile !== undefined) changes.push(`Berth trusts ${caFile} for ${host} and its identity provider from the next request.`);
      if (change.keepAliveHours === 0) {
        changes.push(
          registry.kind === 'harbor'
            ? `Keep-alive is off for ${name}: nothing renews Harbor's session, which ends once it has been idle for ${registry.idleDays} days.`
            : `Daily checks are off for ${name}: Berth no longer notices when the registry stops accepting its ${registry.kind === 'stackit' ? 'key' : 'token'}.`,
        );
      }
      else if (change.keepAliveHours !== undefined) changes.push(`${name} is kept alive every ${change.keepAliveHours} hours from now on${status.signedInAt ? ', counted from its last pass' : ', from its first sign-in'}.`);
      if (change.warnDays !== undefined) changes.push(`${name} shows as expiring ${change.warnDays} days before an expiry, from now on.`);
      if (scopes !== undefined) changes.push(`Berth's own client asks for "${scopes}" at the next sign-in (\`berth login ${name}\`)${status.signedInAt ? '; the current session keeps the scopes it was granted' : ''}.`);
      if (change.username !== undefined) {
        changes.push(
          status.signedInAt && status.username !== change.username
            ? `${name} signs in as ${change.username} at the next sign-in (\`berth login ${name}\`); until then it stays signed in as ${status.username ?? 'before'}.`
            : `${name} signs in as ${change.username}${status.signedInAt ? '' : ` at the next sign-in (\`berth login ${name}\`)`}.`,
        );
      }
      if (expiresAt === null) changes.push(`Berth no longer assumes an end for the token of ${name}; it still checks the token daily.`);
      else if (expiresAt !== undefined) changes.push(`The token of ${name} expires ${expiresAt.toISOString()}, as you said; Berth warns ${updated.warnDays ?? deps.settings.preferences().warnDays} days before.`);
      if (change.note !== undefined) changes.push(`The note of ${name} is now "${change.note.trim()}".`);
      deps.log.info('registry changed', { registry: name, fields: given.join(', ') });
      note(name, 'action', changes.join(' '));
      return { view: view(updated), changes };
    },

    /** What a Harbor URL says before sign-in (auth mode, provider, token service), and a free name for it. */
    async probeHarbor(input: string): Promise<HarborProbe> {
      const url = registryOrigin(input, 'this Harbor');
      const findings = await probeHarbor(new URL(url.origin));
      return {
        url: url.origin,
        registry: url.host,
        authMode: findings.authMode,
        oidcProviderName: findings.oidcProviderName,
        harborVersion: findings.harborVersion,
        tokenService: findings.tokenService,
        issuer: findings.login?.issuer ?? null,
        harborClientId: findings.login?.clientId ?? null,
        harborScopes: findings.login?.scopes ?? [],
        warnings: findings.warnings,
        existing: managedFor(registryKey(url.host))?.name ?? null,
        suggestedName: freeName(nameForHost(url.host)),
      };
    },

    preferences(): Preferences {
      return deps.settings.preferences();
    },

    /** New preferences; a new credential target moves every Harbor registry's credential there at once. */
    async updatePreferences(change: Partial<Preferences>): Promise<Preferences> {
      const problems = preferencesChangeProblems(change);
      if (problems.length > 0) throw new BerthError('usage', `Settings not changed: ${problems.join('; ')}.`);
      const updated = { ...deps.settings.preferences(), ...change };
      deps.settings.setPreferences(updated);
      if (change.target) {
        for (const registry of deps.settings.registries()) {
          // docker itself pointed its config at Berth for a `docker login`; that stays as docker set it.
          const dockersOwn = registry.kind === 'token' && registry.fromDockerLogin === true;
          if (!dockersOwn && (registry.target ?? 'config') !== change.target) await setTarget(registry.name, change.target);
        }
      }
      note(null, 'action', `Settings changed: keep alive every ${updated.keepAliveHours} h, warn ${updated.warnDays} days ahead, credentials ${updated.target === 'helper' ? 'through docker-credential-berth' : "in docker's config"}.`);
      return updated;
    },

    activity(): ActivityEntry[] {
      return activity.list();
    },

    /** Where secrets are kept now: the OS keychain or the explicit file store. */
    secretStore(): SecretStoreKind {
      return deps.secrets.kind?.() ?? 'keychain';
    },

    /**
     * Keeps secrets in the keychain or in the file store from now on, moving every registry's secrets across while holding
     * every registry's lock (no pass uses or rotates a secret meanwhile). Crash-safe by its order: every secret is copied,
     * then the choice is saved, then the old copies go; a run killed anywhere leaves the chosen store complete, and running
     * it again removes what the other store still holds. A secret the old store cannot give up stays there, said.
     */
    async changeSecretStore(to: SecretStoreKind): Promise<{ store: SecretStoreKind; moved: string[]; warnings: string[] }> {
      const { stores, kind } = deps.secrets;
      if (!stores || !kind) throw new BerthError('usage', 'This Berth keeps its secrets in one store only.');
      if (deps.secrets.fromEnvironment) throw new BerthError('usage', `BERTH_SECRET_STORE decides where secrets are kept (now: ${kind()}); change or unset it instead.`);
      const other: SecretStoreKind = to === 'file' ? 'keychain' : 'file';
      const storeWords = (store: SecretStoreKind) => (store === 'file' ? 'file' : 'keychain');
      const moved: string[] = [];
      const warnings: string[] = [];
      const registries = deps.settings.registries().map((registry) => registry.name);
      await withRegistryLocks(registries, async () => {
        const from = kind();
        const kept: string[] = [];
        if (from !== to) {
          for (const name of registries) {
            try {
              for (const secret of secretKinds) {
                const value = await stores[from].get(name, secret);
                if (value === null) continue;
                if ((await stores[to].get(name, secret)) !== value) await stores[to].set(name, secret, value);
                if (!moved.includes(name)) moved.push(name);
              }
              kept.push(name);
            } catch (error) {
              warnings.push(`The secrets of ${name} could not be moved (${errorMessage(error)}); sign in again to keep them in the ${storeWords(to)}.`);
              // The chosen store has none of its secrets: what its next pass would find, said now rather than the old store's trouble.
              const registry = deps.settings.find(name);
              if (registry && view(registry).state !== 'signed-out') {
                record(registry, (current) => ({ ...current, state: 'needs-sign-in', lastError: `Its secrets stayed in the ${storeWords(from)}, which Berth could not read: sign in again (\`berth login ${name}\`) to keep them in the ${storeWords(to)}.` }));
              }
            }
          }
          deps.settings.setPreferences({ ...deps.settings.preferences(), secretStore: to });
          note(null, 'action', `Secrets are kept in ${to === 'file' ? 'a file only you can read' : 'the OS keychain'} from now on.`);
        } else {
          kept.push(...registries);
        }
        // The other store keeps nothing: the old copies, or what an interrupted move left there.
        for (const name of kept) {
          try {
            for (const secret of secretKinds) await stores[other].delete(name, secret);
          } catch (error) {
            // Already in use: an unreachable other store (no keyring on a server) has nothing of Berth's to remove.
            if (from !== to) warnings.push(`The old copies of the secrets of ${name} could not be removed from the ${storeWords(other)} (${errorMessage(error)}).`);
          }
        }
      });
      // And nothing of a registry removed while an interrupted move had left copies there (removing clears the chosen store only).
      const leftBehind = await (stores[other].registries?.() ?? Promise.resolve([])).catch(() => []);
      for (const name of leftBehind.filter((name) => registryNamePattern.test(name) && !registries.includes(name))) {
        await deps.locks.withLock(name, async () => {
          if (deps.settings.find(name)) return;
          for (const secret of secretKinds) await stores[other].delete(name, secret).catch(() => undefined);
        });
      }
      return { store: to, moved, warnings };
    },

    /** The web origins the user configured (registries and identity providers): the only ones the app opens in a browser. */
    trustedOrigins(): string[] {
      return deps.settings.registries().flatMap((registry) => {
        const pointer = registry.kind === 'harbor' ? undefined : view(registry).pointer?.url;
        return [new URL(registry.url).origin, ...(registry.kind === 'harbor' && registry.issuer ? [new URL(registry.issuer).origin] : []), ...(pointer ? [new URL(pointer).origin] : [])];
      });
    },

    /** The user name chosen for the next sign-in with `berth set --username`, if any. */
    chosenUsername(name: string): string | null {
      return deps.settings.get(name).username ?? null;
    },

    listRegistries(): RegistryView[] {
      return views(deps.settings.registries());
    },

    status(name?: string): RegistryView[] {
      return views(name === undefined ? deps.settings.registries() : [deps.settings.get(name)]);
    },

    /** Signs in the registry's way (browser, Berth's window onto Harbor, or a pasted secret), then stores and writes the CLI secret. */
    async signIn(name: string, options: SignInOptions): Promise<RegistryView> {
      const registry = deps.settings.get(name);
      const started = now();
      deps.log.info('sign-in started', { registry: name, method: signInMethodOf(registry), pasted: options.pasted !== undefined });
      const controller = new AbortController();
      signIns.get(name)?.abort();
      signIns.set(name, controller);
      try {
        const method = await methodFor(registry);
        return await method.signIn(
          registry,
          {
            openBrowser: options.openBrowser,
            timeoutMs: options.timeoutMs ?? defaultSignInTimeoutMs,
            ...(options.onCallback ? { onCallback: options.onCallback } : {}),
            ...(options.pasted ? { pasted: options.pasted } : {}),
            ...(options.device ? { device: options.device } : {}),
            signal: controller.signal,
            complete: (signedIn) => deps.locks.withLock(name, () => completeSignIn(registry, signedIn, started)),
          },
          methodDependencies(registry),
        );
      } catch (error) {
        deps.log.warn('sign-in failed', { registry: name, reason: errorMessage(error) });
        // The person chose another way (or closed the window): nothing to report on the registry.
        if (error instanceof BerthError && error.code === 'cancelled') throw error;
        recordFailure(registry, error, false);
        note(name, 'problem', `Sign-in failed: ${errorMessage(error)}`);
        throw error;
      } finally {
        if (signIns.get(name) === controller) signIns.delete(name);
      }
    },

    /** Breaks off the registry's sign-in under way (the person chose to paste the secret instead): its window or listener closes. */
    cancelSignIn(name: string): void {
      signIns.get(deps.settings.get(name).name)?.abort();
    },

    /** A new token (or service-account key) for a registry, checked at the registry before it replaces the old one in the keychain and every target. */
    async replace(name: string, pasted: PastedSecret): Promise<RegistryView> {
      const registry = deps.settings.get(name);
      if (!abilities[signInMethodOf(registry)].replace) {
        throw new BerthError('usage', `${name} signs in with Harbor (\`berth login ${name}\`); replacing is for token and STACKIT registries.`, { registry: name });
      }
      const current = deps.status.get(name);
      const replaced = await api.signIn(name, {
        openBrowser: async () => {
          throw new BerthError('usage', `${name} needs no browser to replace its token.`);
        },
        pasted: { ...pasted, username: pasted.username || current.username || '' },
      });
      note(name, 'action', registry.kind === 'stackit' ? 'New service-account key in place.' : 'New token in place everywhere docker reads it.');
      return replaced;
    },

    /** Before adding a token registry: a free name, where its tokens are made, and the note to give this machine's token. */
    tokenAdvice(input: string): TokenAdvice {
      const url = registryOrigin(input, 'this registry', 'registry');
      const name = freeName(nameForHost(url.host));
      return {
        url: url.origin,
        registry: url.host,
        suggestedName: name,
        existing: managedFor(registryKey(url.host))?.name ?? null,
        pointer: tokenPointer({ name, url: url.origin, kind: 'token' }),
        suggestedNote: oneTokenPerMachine(url.origin) ? suggestedNote(now()) : null,
      };
    },

    signOut,

    async removeRegistry(name: string): Promise<SignOutResult> {
      const result = await signOut(name);
      deps.settings.remove(name);
      deps.status.remove(name);
      deps.log.info('registry removed', { registry: name });
      note(name, 'action', 'Removed from Berth.');
      events.emit('registry-removed', { name });
      return result;
    },

    /** One keep-alive pass now for one registry, or for every signed-in one. Failures end up in the status, not thrown. */
    refresh(name: string): Promise<RegistryView> {
      takeTargetsBack(name);
      return refreshOne(name);
    },

    refreshAll(): Promise<RegistryView[]> {
      const signedIn = deps.settings.registries().filter((registry) => abilities[signInMethodOf(registry)].keepAlive && deps.status.get(registry.name).signedInAt);
      for (const registry of signedIn) takeTargetsBack(registry.name);
      return Promise.all(signedIn.map((registry) => refreshOne(registry.name)));
    },

    /** A new CLI secret in Harbor, written everywhere Berth wrote the old one and verified; the old one stops working at once. */
    async regenerate(name: string): Promise<RegistryView> {
      const registry = signedInRegistry(name);
      // An earlier regenerate's new secret, if one waits, is put in place first: a new journal must not replace it unsettled.
      await settleJournals([name]);
      try {
        const outcome = await (await methodFor(registry)).regenerate(registry, methodDependencies(registry));
        applyOutcome(registry, outcome);
        deps.log.info('CLI secret regenerated', { registry: name, verified: outcome.state === 'valid' });
        note(name, 'action', 'New CLI secret in place; the old one no longer works anywhere.');
      } catch (error) {
        deps.log.warn('regeneration failed', { registry: name, reason: errorMessage(error) });
        recordFailure(registry, error, false);
        note(name, 'problem', `Regenerating the CLI secret failed: ${errorMessage(error)}`);
        throw error;
      }
      const regenerated = view(registry);
      events.emit('secret-regenerated', { name, view: regenerated });
      return regenerated;
    },

    setTarget,

    /** "Will `docker pull <reference>` work?" with the credentials docker would use; a registry alone checks the login. */
    check(input: string, options: CheckOptions = {}): Promise<CheckResult> {
      return checkImage(
        {
          settings: deps.settings,
          status: deps.status,
          secrets: deps.secrets,
          challenges: deps.challenges,
          log: deps.log,
          now,
          settleJournals,
          currentSecret: async (registry) => {
            const method = await methodFor(registry);
            return method.currentSecret?.(registry, methodDependencies(registry));
          },
          dockerSource: (host) => dockerSourceFor(host, deps.docker.env),
          helperCredential,
          onPath: (program) => findOnPath(program, deps.docker.env) !== undefined,
          note,
        },
        input,
        options,
      );
    },

    /** `docker login` through docker-credential-berth: the credential is kept as a token registry for that host. */
    async storeDockerLogin(login: DockerLogin): Promise<RegistryView> {
      const key = registryKey(login.serverUrl);
      const existing = managedFor(key);
      if (existing && existing.kind !== 'token') {
        throw new BerthError(
          'usage',
          existing.kind === 'harbor'
            ? `${registryHost(existing)} is signed in through Berth as "${existing.name}", which renews its CLI secret itself: use \`berth login ${existing.name}\` instead of docker login.`
            : `${registryHost(existing)} is in Berth as "${existing.name}", which mints its own access tokens from a STACKIT service-account key: docker login is not needed.`,
          { registry: existing.name },
        );
      }
      const problem = dockerUsernameProblem(login.username);
      if (problem) {
        throw new BerthError('usage', `The user name ${JSON.stringify(printable(login.username))} for ${hostOf(key)} ${problem}, so docker cannot log in with it; nothing was stored.`);
      }
      const registry: TokenRegistrySettings = existing ?? { name: freeName(nameForHost(key)), kind: 'token', url: `https://${hostOf(key)}`, target: 'helper', fromDockerLogin: true };
      // docker login checked the token just now; its end is known only when it is a JWT, until the person sets it (`berth set`).
      const expires = jwtExpiry(login.secret);
      await deps.locks.withLock(registry.name, async () => {
        // The registry first: a store killed between the two leaves a registry the person sees without its token, never a token no registry names.
        if (!existing) deps.settings.add(registry);
        try {
          await deps.secrets.set(registry.name, 'token', login.secret);
        } catch (error) {
          if (!existing) deps.settings.remove(registry.name);
          throw error;
        }
        const at = now().toISOString();
        record(registry, () => ({
          state: 'valid',
          username: login.username,
          signedInAt: at,
          lastKeptAliveAt: at,
          writtenTo: `helper:${berthHelper}`,
          ...(expires ? { expiresAt: expires.toISOString(), expirySource: 'jwt' as const } : {}),
        }));
      });
      deps.log.info('docker login stored', { registry: registry.name, host: registryHost(registry), user: login.username });
      note(registry.name, 'action', `docker login stored a token for ${login.username} at ${registryHost(registry)}.`);
      return view(registry);
    },

    /** `docker logout` through docker-credential-berth: the token registry goes; docker edits its own config.json meanwhile. */
    async eraseDockerLogin(serverUrl: string): Promise<string | null> {
      const registry = managedFor(registryKey(serverUrl));
      if (!registry) return null;
      if (registry.kind !== 'token') {
        throw new BerthError('usage', `${registryHost(registry)} is signed in through Berth as "${registry.name}": use \`berth logout ${registry.name}\` to sign out.`, {
          registry: registry.name,
        });
      }
      await deps.locks.withLock(registry.name, async () => {
        await deps.secrets.delete(registry.name, 'token');
        deps.settings.remove(registry.name);
        deps.status.remove(registry.name);
      });
      deps.log.info('docker logout erased', { registry: registry.name });
      note(registry.name, 'action', `docker logout removed the token for ${registryHost(registry)}.`);
      events.emit('registry-removed', { name: registry.name });
      return registry.name;
    },

    keepAliveScheduler,

    /**
     * While the app or `berth keepalive` runs: whenever docker's config.json or a podman or helm auth file changes, every
     * `valid` registry's credential goes back where another program removed or replaced it, so `valid` holds between
     * passes too. Returns the function that stops watching.
     */
    watchCredentialTargets(): () => Promise<void> {
      let restoring = Promise.resolve();
      const stop = watchFiles(
        () => deps.docker.files(),
        () => (restoring = restoring.then(restoreTargets).catch((error: unknown) => deps.log.warn('could not look at the credential targets', { reason: errorMessage(error) }))),
      );
      // A rewrite under way finishes (and lets go of its lock) before the process ends.
      return () => {
        stop();
        return restoring;
      };
    },

    /** Puts in place what interrupted regenerates left (for the named registries, or all): run by commands that show or use a credential. */
    settleJournals,
  };
  return api;

  /** Runs `work` holding the locks of all these registries, taken in name order (the one order Berth takes several in). */
  async function withRegistryLocks<T>(names: string[], work: () => Promise<T>): Promise<T> {
    const [first, ...rest] = [...names].sort();
    if (first === undefined) return work();
    return deps.locks.withLock(first, () => withRegistryLocks(rest, work));
  }

  /** The registry Berth manages for a docker registry key, if any. */
  function managedFor(key: string): RegistrySettings | undefined {
    return deps.settings.registries().find((registry) => registryKey(registryHost(registry)) === key);
  }

  function freeName(wanted: string): string {
    const taken = new Set(deps.settings.registries().map((registry) => registry.name));
    let name = wanted;
    for (let suffix = 2; taken.has(name); suffix++) name = `${wanted.slice(0, 60)}-${suffix}`;
    return name;
  }

  /** Where docker gets this registry's credential; a signed-in registry is rewritten to the new target at once. */
async function setTarget(name: string, target: CredentialTarget): Promise<RegistryView> {
    // Named before the lock: only a registry that exists gets a lock file.
    deps.settings.get(name);
    const registry = await deps.locks.withLock(name, async () => {
      // Read under the lock: a pass or another target change may have changed the registry meanwhile.
      const current = deps.status.get(name);
      const kind = deps.settings.get(name).kind;
      const secret = current.signedInAt ? await deps.secrets.get(name, credentialSecretKind(kind), { expected: true }) : null;
      if (current.username && secret) {
        const writtenTo = await deps.docker.store({ server: registryHost(deps.settings.get(name)), username: current.username, secret }, name, target);
        const changed = deps.settings.update(name, (existing) => ({ ...existing, target }));
        record(changed, (latest) => ({ ...latest, writtenTo }));
        return changed;
      }
      return deps.settings.update(name, (existing) => ({ ...existing, target }));
    });
    deps.log.info('credential target changed', { registry: name, target });
    note(name, 'action', target === 'helper' ? 'docker now asks docker-credential-berth for the credential.' : "The credential is now written into docker's config.");
    return view(registry);
  }

  /** Rewrites the credential targets that hold something else than the keychain's secret; returns where it wrote, if it did. */
  async function repairTargets(registry: RegistrySettings, username: string, beforeRewrite?: (differing: string[]) => void): Promise<WrittenTo | undefined> {
    const secret = await deps.secrets.get(registry.name, credentialSecretKind(registry.kind), { expected: true });
    if (!secret || !username) return undefined;
    const credential = { server: registryHost(registry), username, secret };
    const differing = await deps.docker.differences(credential, registry.name, registry.target);
    if (differing.length === 0) return undefined;
    beforeRewrite?.(differing);
    const rewrite = async (): Promise<WrittenTo> => {
      try {
        return await deps.docker.store(credential, registry.name, registry.target);
      } catch (error) {
        throw new BerthError('file-write', `${differing.join(', ')} still hold${differing.length === 1 ? 's' : ''} another secret for ${registryHost(registry)} than the one Harbor accepts, and Berth could not rewrite it: ${errorMessage(error)}`, {
          registry: registry.name,
          cause: error,
        });
      }
    };
    let writtenTo = await rewrite();
    // A target the rewrite did not reach (a podman or helm file Berth may not write) would be rewritten again at every change;
    // one more write first, in case another program's write landed between Berth's and its look.
    let left = await deps.docker.differences(credential, registry.name, registry.target);
    if (left.length > 0) {
      writtenTo = await rewrite();
      left = await deps.docker.differences(credential, registry.name, registry.target);
    }
    if (left.length > 0) {
      throw new BerthError('file-write', `${left.join(', ')} still hold${left.length === 1 ? 's' : ''} another secret for ${registryHost(registry)} than the one Harbor accepts after Berth rewrote it; see Berth's log for why.`, {
        registry: registry.name,
      });
    }
    deps.log.warn('rewrote credential targets that held another secret', { registry: registry.name, targets: differing.join(', ') });
    note(registry.name, 'action', `Rewrote the credential in ${differing.join(', ')}, which held another secret than the one Harbor accepts, or none.`);
    events.emit('targets-repaired', { name: registry.name, targets: differing });
    return writtenTo;
  }

  /**
   * Puts the keychain's credential back where another program removed or replaced it (`docker logout`, a `docker login`
   * over Berth's entry), for every registry whose state says docker's credential works; asks no server.
   */
  async function restoreTargets(): Promise<void> {
    const records = deps.status.all();
    const registries = deps.settings.registries();
    for (const name of restoredAt.keys()) if (!registries.some((registry) => registry.name === name)) restoredAt.delete(name);
    for (const { name } of registries) {
      if (records[name]?.state !== 'valid') continue;
      await deps.locks
        .withLock(name, async () => {
          // Read under the lock: a pass, a sign-out or a regenerate may have finished meanwhile.
          const registry = deps.settings.find(name);
          const current = deps.status.get(name);
          // An open journal's pass decides which secret is Harbor's.
          if (!registry || current.state !== 'valid' || !current.username || current.pendingSecretSince) return;
          let contested = false;
          try {
            const writtenTo = await repairTargets(registry, current.username, (differing) => {
              const at = now().getTime();
              const recent = (restoredAt.get(name) ?? []).filter((when) => at - when < fightWindowMs);
              // Two programs that each put their own credential back would otherwise rewrite the file forever.
              if (recent.length >= fightLimit) {
                restoredAt.delete(name);
                contested = true;
                throw contestedError(registry, differing);
              }
              restoredAt.set(name, [...recent, at]);
            });
            if (writtenTo) record(registry, (latest) => ({ ...latest, writtenTo }));
          } catch (error) {
            recordFailure(registry, error, true);
            // Scheduled passes leave the targets alone from now on: only the person's `berth refresh` or a sign-in takes them back.
            if (contested) record(registry, (latest) => ({ ...latest, contestedSince: now().toISOString() }));
          }
        })
        .catch((error: unknown) => deps.log.warn('could not look at the credential targets', { registry: name, reason: errorMessage(error) }));
    }
  }

  /** The person asked for a pass: targets another program kept changing are Berth's to rewrite again. */
  function takeTargetsBack(name: string): void {
    const registry = deps.settings.find(name);
    if (registry && deps.status.get(name).contestedSince) record(registry, (latest) => ({ ...latest, contestedSince: undefined }));
  }

  /** What a sign-in yields goes to the keychain and every credential target; the status records what Harbor said of it. */
  async function completeSignIn(registry: RegistrySettings, signedIn: SignedIn, started: Date): Promise<{ value: RegistryView; message: string }> {
    const { name } = registry;
    // The refresh token first: if anything after this fails, Berth can still recover without a new browser login.
    if (signedIn.refreshToken) await deps.secrets.set(name, 'refresh-token', signedIn.refreshToken);
    for (const kept of signedIn.keep ?? []) await deps.secrets.set(name, kept.kind, kept.value);
    await deps.secrets.set(name, credentialSecretKind(registry.kind), signedIn.cliSecret);
    // A sign-in fetched (or was given) the secret Harbor has now: a regenerate's journal has nothing left to put in place.
    if (registry.kind === 'harbor') await deps.secrets.delete(name, 'pending-cli-secret');
    const writtenTo = await deps.docker.store({ server: signedIn.host, username: signedIn.username, secret: signedIn.cliSecret }, name, registry.target);
    const at = now();
    const { accepted } = signedIn;
    record(registry, () => ({
      state: accepted ? 'valid' : 'needs-web-login',
      secretAccepted: accepted,
      username: signedIn.username,
      ...(signedIn.userId !== undefined ? { userId: signedIn.userId } : {}),
      writtenTo,
      signedInAt: at.toISOString(),
      ...(accepted ? { lastKeptAliveAt: at.toISOString(), ...(registry.kind === 'harbor' ? { idleDeadline: idleDeadlineFrom(registry, at).toISOString() } : {}) } : {}),
      ...(signedIn.sessionExpiresAt ? { sessionExpiresAt: signedIn.sessionExpiresAt.toISOString() } : {}),
      ...(signedIn.expiresAt ? { expiresAt: signedIn.expiresAt.toISOString() } : {}),
      ...(signedIn.expirySource ? { expirySource: signedIn.expirySource } : {}),
      ...(signedIn.accessTokenExpiresAt ? { accessTokenExpiresAt: signedIn.accessTokenExpiresAt.toISOString() } : {}),
      ...(signedIn.sessionFixed ? { sessionFixed: true } : {}),
      ...(signedIn.berthSession ? { berthSession: signedIn.berthSession } : {}),
      ...(signedIn.notices.length > 0 ? { notice: signedIn.notices.join(' ') } : {}),
      ...(accepted
        ? {}
        : {
            lastError: `Signed in, but Harbor at ${signedIn.host} still rejects the CLI secret of ${signedIn.username}: Harbor's own session has expired. Log in at ${signedIn.webLoginUrl}; Berth notices within minutes.`,
            actionUrl: signedIn.webLoginUrl,
          }),
    }));
    deps.log.info('signed in', { registry: name, user: signedIn.username, writtenTo, harborAccepted: accepted, berthSession: signedIn.refreshToken !== undefined, ms: at.getTime() - started.getTime() });
    const message = signedIn.message ?? (accepted
      ? `Signed in to ${name} as ${signedIn.username}: Harbor's token service at ${signedIn.host} accepts the CLI secret, and docker credentials for ${signedIn.host} are in place.`
      : `Signed in to ${name} as ${signedIn.username}, but Harbor still rejects the CLI secret: log in at ${signedIn.webLoginUrl}.`);
    note(name, accepted ? 'action' : 'problem', message);
    for (const notice of signedIn.notices) {
      deps.log.warn(notice, { registry: name });
      note(name, 'problem', notice);
    }
    return { value: view(registry), message };
  }

  async function signOut(name: string): Promise<SignOutResult> {
    const registry = deps.settings.get(name);
    const warnings: string[] = [];
    // A config.json Berth cannot parse stops the sign-out before anything has changed.
    deps.docker.assertReadable();
    let revoked = false;
    // A registry never signed in has nothing in the keychain: a keychain that does not answer cannot stop its sign-out or removal.
    const neverSignedIn = deps.status.get(name).signedInAt === undefined;
    const secretsIfAny = async <T>(call: () => Promise<T>, none: T): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        if (!neverSignedIn || !(error instanceof BerthError && (error.code === 'keychain' || error.code === 'keychain-locked'))) throw error;
        deps.log.info('keychain not reachable; the registry was never signed in, so nothing of it is there', { registry: name });
        return none;
      }
    };
    await deps.locks.withLock(name, async () => {
      const refreshToken = await secretsIfAny(() => deps.secrets.get(name, 'refresh-token'), null);
      // The intent first: a sign-out interrupted from here on shows as signed out, and running it again finishes it.
      record(registry, () => ({ state: 'signed-out' }));
      await deps.docker.erase(registryHost(registry), name);
      try {
        const outcome = await (await methodFor(registry)).signOut(registry, refreshToken, methodDependencies(registry));
        revoked = outcome.revoked;
        warnings.push(...outcome.warnings);
      } catch (error) {
        warnings.push(`Could not revoke Berth's session at the identity provider: ${errorMessage(error)}`);
      }
      await secretsIfAny(async () => {
        for (const kind of secretKinds) await deps.secrets.delete(name, kind);
      }, undefined);
      // A session left alive at the provider stays on the registry until the next sign-in, where the window and `status` show it.
      if (warnings.length > 0) record(registry, () => ({ state: 'signed-out', notice: warnings.join(' ') }));
    });
    deps.log.info('signed out', { registry: name, revoked });
    if (warnings.length > 0) note(name, 'problem', `Signed out. ${warnings.join(' ')}`);
    else note(name, 'action', revoked ? "Signed out; the identity provider revoked Berth's session." : 'Signed out.');
    for (const warning of warnings) deps.log.warn(warning, { registry: name });
    return { revoked, warnings };
  }
}

export type BerthApi = ReturnType<typeof createApi>;
