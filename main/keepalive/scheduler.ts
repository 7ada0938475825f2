import { BerthError } from '../errors.js';
import type { RegistryState } from '../settings/model.js';
import { systemClock, type Clock } from './clock.js';

/** What the scheduler needs to know about one registry. */
export interface KeepAliveTarget {
  name: string;
  /** The regular keep-alive interval; `null` when keep-alive is off for this registry. */
  intervalMs: number | null;
  state: RegistryState;
  lastKeptAliveAt?: number;
  nextKeepAliveAt?: number;
  /** A pass must run by then, whatever the interval says (a short-lived token written to docker's config runs out). */
  dueBy?: number;
  /** When an interrupted regenerate's journal was opened, while it is open: the registry's next pass puts the new secret in place. */
  journalSince?: string;
}

export interface KeepAliveTiming {
  /** Every delay is spread by ±this fraction, so many machines never hit Harbor in step. */
  jitter: number;
  /** Offline: the first retry; each further one waits twice as long, up to `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** After Harbor's session died: how often to look whether the user has logged in on the web, and for how long. */
  recheckEveryMs: number;
  recheckForMs: number;
  /** Passes run at most this many at a time: many registries due at once queue up, and stopping waits only for these. */
  concurrency: number;
}

export const defaultTiming: KeepAliveTiming = {
  jitter: 0.1,
  backoffBaseMs: 60_000,
  backoffMaxMs: 60 * 60_000,
  recheckEveryMs: 5 * 60_000,
  recheckForMs: 60 * 60_000,
  concurrency: 8,
};

export interface PassReport {
  name: string;
  state: RegistryState;
  startedAt: number;
  ms: number;
  nextAt: number;
}

export interface SchedulerDependencies {
  targets(): KeepAliveTarget[];
  /** One keep-alive pass (locked, single-flight), resolving to the registry's state afterwards; `null` when `signal` (the scheduler stopping) ended it before it learned anything. */
  runPass(name: string, signal: AbortSignal): Promise<RegistryState | null>;
  /** Records when the next pass is due, for the status model. */
  planned(name: string, at: Date): void;
  onPass?(report: PassReport): void;
  clock?: Clock;
  random?: () => number;
  timing?: Partial<KeepAliveTiming>;
}

interface Entry {
  due: number;
  intervalMs: number;
  failures: number;
  recheckUntil?: number;
  /** The state the scheduler last saw, from its own pass or from sync. */
  state: RegistryState;
  /** The open journal this entry was last made due for. */
  journalSince?: string;
}

// A token that lives shorter than the margin kept before its end would otherwise make passes run back to back.
const minimumGapMs = 1_000;

export function jittered(delayMs: number, jitter: number, random: () => number): number {
  return Math.round(delayMs * (1 + jitter * (2 * random() - 1)));
}

function keptFine(state: RegistryState): boolean {
  return state === 'valid' || state === 'expiring';
}

/**
 * Keeps every signed-in registry alive from one process: one timer for the registry due next, no polling.
 * Offline registries back off; a registry whose Harbor session died is re-checked often for a while,
 * so it turns valid soon after the user logs in on the web.
 */
export class KeepAliveScheduler {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly timing: KeepAliveTiming;
  private readonly entries = new Map<string, Entry>();
  private readonly passing = new Set<string>();
  private timer: unknown;
  private running: Promise<void> | undefined;
  private started = false;
  // `runDueNow`: the passes due now, and no timer for later ones.
  private once = false;
  // Aborted by stop: passes under way end without waiting for their network requests.
  private stopping = new AbortController();

  constructor(private readonly deps: SchedulerDependencies) {
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.timing = { ...defaultTiming, ...deps.timing };
  }

  /** Starts tracking; anything overdue (per the persisted schedule) runs at once. */
  start(): void {
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    this.started = true;
    this.sync();
  }

  /** Runs the passes that are due now (overdue by the persisted schedule) and arms no timer: cron and systemd timers. */
  async runDueNow(): Promise<void> {
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    this.once = true;
    this.started = true;
    this.sync();
    try {
      await this.runDue();
    } finally {
      this.started = false;
    }
  }

  /** Stops at once: passes under way are aborted (what they already received, such as a rotated refresh token, is still stored). */
  async stop(): Promise<void> {
    this.started = false;
    this.disarm();
    this.stopping.abort(new BerthError('cancelled', 'Berth is stopping.'));
    await this.running;
  }

  /** Re-reads the registries (added, removed, signed in or out elsewhere) and re-arms the timer. */
  sync(): void {
    const now = this.clock.now();
    const seen = new Set<string>();
    for (const target of this.deps.targets()) {
      if (target.intervalMs === null || target.state === 'signed-out') continue;
      seen.add(target.name);
      const entry = this.entries.get(target.name);
      if (entry) {
        // A new interval (`berth set --keep-alive-hours`) counts from the last pass, unless the registry is being retried.
        if (entry.intervalMs !== target.intervalMs && entry.failures === 0 && entry.recheckUntil === undefined && !this.passing.has(target.name)) {
          entry.due = Math.max((target.lastKeptAliveAt ?? now) + target.intervalMs, now);
          if (entry.due !== target.nextKeepAliveAt) this.deps.planned(target.name, new Date(entry.due));
        }
        entry.intervalMs = target.intervalMs;
        if (target.dueBy !== undefined && target.dueBy < entry.due && !this.passing.has(target.name)) {
          entry.due = Math.max(target.dueBy, now);
          this.deps.planned(target.name, new Date(entry.due));
        }
        // A pass under way reports its own outcome when it ends.
        if (target.state !== entry.state && !this.passing.has(target.name)) this.replan(target.name, entry, target.state, now);
        // A journal another process left open is rolled forward now, once per journal (one that stays open waits its turn).
        if (target.journalSince !== undefined && target.journalSince !== entry.journalSince && !this.passing.has(target.name)) {
          entry.journalSince = target.journalSince;
          entry.due = Math.min(entry.due, now);
        }
        continue;
      }
      const scheduled = Math.max(Math.min(target.nextKeepAliveAt ?? (target.lastKeptAliveAt !== undefined ? target.lastKeptAliveAt + target.intervalMs : now), target.dueBy ?? Infinity), now);
      const due = target.journalSince !== undefined ? now : scheduled;
      this.entries.set(target.name, { due, intervalMs: target.intervalMs, failures: 0, state: target.state, ...(target.journalSince !== undefined ? { journalSince: target.journalSince } : {}) });
      // A registry just signed in shows its next keep-alive at once, not after its first pass.
      if (due !== target.nextKeepAliveAt) this.deps.planned(target.name, new Date(due));
    }
    for (const name of this.entries.keys()) if (!seen.has(name)) this.entries.delete(name);
    this.arm();
  }

  /**
   * A state reached outside the scheduler's own passes (a refresh from the CLI or the tray): a registry that now needs
   * re-checking soon (Harbor's session dead, offline) is looked at on that schedule, not at its next regular pass.
   */
  private replan(name: string, entry: Entry, state: RegistryState, now: number): void {
    entry.state = state;
    if (keptFine(state)) return;
    const due = now + jittered(this.delayAfter(entry, state, now), this.timing.jitter, this.random);
    if (due >= entry.due) return;
    entry.due = due;
    this.deps.planned(name, new Date(due));
  }

  /** Resume from sleep, network back: run what is overdue by the wall clock and whatever is backing off. */
  nudge(): void {
    const now = this.clock.now();
    for (const entry of this.entries.values()) if (entry.due <= now || entry.failures > 0) entry.due = now;
    this.arm();
  }

  /** When the next pass is due, per registry (for tests and the status model). */
  schedule(): Map<string, number> {
    return new Map([...this.entries].map(([name, entry]) => [name, entry.due]));
  }

  /** Resolves once no pass is running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (!this.started || this.running || this.once) return;
    this.disarm();
    const next = Math.min(...[...this.entries.values()].map((entry) => entry.due));
    if (!Number.isFinite(next)) return;
    this.timer = this.clock.setTimer(() => this.tick(), Math.max(0, next - this.clock.now()));
  }

  private tick(): void {
    this.timer = undefined;
    this.running = this.runDue().finally(() => {
      this.running = undefined;
      this.arm();
    });
  }

  private async runDue(): Promise<void> {
    const now = this.clock.now();
    const due = [...this.entries].filter(([, entry]) => entry.due <= now).sort(([, a], [, b]) => a.due - b.due);
    if (due.length === 0) return;
    const targets = new Map(this.deps.targets().map((target) => [target.name, target]));
    let next = 0;
    // A few passes at a time; once stopped, no new one starts.
    const worker = async (): Promise<void> => {
      while (this.started && next < due.length) {
        const [name, entry] = due[next++] as [string, Entry];
        await this.runOne(name, entry, targets.get(name));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.timing.concurrency, due.length) }, worker));
  }

  private async runOne(name: string, entry: Entry, target: KeepAliveTarget | undefined): Promise<void> {
    if (!target || target.intervalMs === null || target.state === 'signed-out') {
      this.entries.delete(name);
      return;
    }
    const startedAt = this.clock.now();
    const { jitter } = this.timing;
    const last = target.lastKeptAliveAt;
    // Another process (the CLI, a second app) kept it alive lately: follow on from there instead of repeating its pass.
    const dueBy = target.dueBy ?? Infinity;
    if (
      target.journalSince === undefined &&
      entry.failures === 0 &&
      entry.recheckUntil === undefined &&
      keptFine(target.state) &&
      last !== undefined &&
      last + entry.intervalMs * (1 - jitter) > startedAt &&
      dueBy > startedAt
    ) {
      entry.due = Math.min(last + jittered(entry.intervalMs, jitter, this.random), dueBy);
      this.deps.planned(name, new Date(entry.due));
      return;
    }
    let state: RegistryState | null;
    this.passing.add(name);
    try {
      state = await this.deps.runPass(name, this.stopping.signal);
    } catch {
      state = 'error';
    } finally {
      this.passing.delete(name);
    }
    // A pass cut short by stop says nothing about the registry (the next start runs it again); one that finished first is reported.
    if (!this.entries.has(name) || state === null) return;
    entry.state = state;
    const finishedAt = this.clock.now();
    // The pass may have put a new short-lived token in place: its end is read again, not the one from before the pass.
    const renewBy = keptFine(state) ? this.deps.targets().find((candidate) => candidate.name === name)?.dueBy : undefined;
    entry.due = Math.min(finishedAt + jittered(this.delayAfter(entry, state, finishedAt), jitter, this.random), Math.max(renewBy ?? Infinity, finishedAt + minimumGapMs));
    this.deps.planned(name, new Date(entry.due));
    this.deps.onPass?.({ name, state, startedAt, ms: finishedAt - startedAt, nextAt: entry.due });
  }

  /** The wait before the next pass, given how this one ended; never longer than the regular interval. */
  private delayAfter(entry: Entry, state: RegistryState, now: number): number {
    const { backoffBaseMs, backoffMaxMs, recheckEveryMs, recheckForMs } = this.timing;
    if (state === 'offline' || state === 'error' || state === 'keychain-locked') {
      entry.failures += 1;
      delete entry.recheckUntil;
      return Math.min(backoffBaseMs * 2 ** (entry.failures - 1), backoffMaxMs, entry.intervalMs);
    }
    entry.failures = 0;
    if (state === 'needs-web-login') {
      entry.recheckUntil ??= now + recheckForMs;
      return now < entry.recheckUntil ? Math.min(recheckEveryMs, entry.intervalMs) : entry.intervalMs;
    }
    delete entry.recheckUntil;
    return entry.intervalMs;
  }
}
