import { mkdirSync } from 'node:fs';
import { readFile, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { newLockOwner, parseLockOwner, prepareLockFile, tryLock, type LockOwner } from '../credentials/file-lock.js';
import { BerthError } from '../errors.js';
import { stopSignal } from '../net/stop-signal.js';

export interface LockTiming {
  /** A lock whose holder stopped touching it for this long is abandoned (holder hung, or on another host). */
  staleMs: number;
  /** How long to wait for another process before giving up. */
  timeoutMs: number;
  retryMs: number;
}

const defaultTiming: LockTiming = { staleMs: 2 * 60_000, timeoutMs: 3 * 60_000, retryMs: 50 };

/**
 * One lock file per registry in Berth's config folder, so the tray, the CLI and the helper never refresh
 * the same session at once (a reused refresh token can end it). A lock whose holder died on this host is
 * taken over at once; one nobody has touched for `staleMs` is taken over too.
 */
export class RegistryLocks {
  private readonly timing: LockTiming;
  private readonly host = hostname();

  constructor(
    private readonly dir: string,
    timing: Partial<LockTiming> = {},
  ) {
    this.timing = { ...defaultTiming, ...timing };
  }

  private pathOf(registry: string): string {
    return join(this.dir, `${registry}.lock`);
  }

  async withLock<T>(registry: string, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(registry);
    try {
      return await work();
    } finally {
      await release();
    }
  }

  async acquire(registry: string): Promise<() => Promise<void>> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(registry);
    const owner: LockOwner & { since: string } = { ...newLockOwner(), since: new Date().toISOString() };
    const deadline = Date.now() + this.timing.timeoutMs;
    const temp = prepareLockFile(path, owner);
    try {
      for (;;) {
        const step = tryLock(temp, path, this.timing.staleMs);
        if (step === 'placed') break;
        if (step === 'again') continue;
        if (Date.now() > deadline) {
          const holder = parseLockOwner(step.holder);
          const who = holder ? `process ${holder.pid}${holder.host === this.host ? '' : ` on ${holder.host}`}` : 'process';
          throw new BerthError(
            'lock-timeout',
            `Another Berth ${who} has been refreshing ${registry} for over ${Math.round(this.timing.timeoutMs / 1000)} s (lock ${path}). Try again later; if no Berth process is running, delete that file.`,
            { registry },
          );
        }
        // A keep-alive that is stopping does not wait for another process's pass.
        await sleep(this.timing.retryMs * (0.5 + Math.random()), undefined, { signal: stopSignal() });
      }
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    // The holder touches its lock while it works, so a long pass is never mistaken for an abandoned one.
    const heartbeat = setInterval(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    }, this.timing.staleMs / 4);
    heartbeat.unref();
    return async () => {
      clearInterval(heartbeat);
      const current = await readFile(path, 'utf8').catch(() => '');
      if (parseLockOwner(current)?.id === owner.id) await unlink(path).catch(() => undefined);
    };
  }
}
