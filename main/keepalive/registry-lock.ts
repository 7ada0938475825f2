import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, ownerlessGraceMs, parseLockOwner, type LockOwner } from '../credentials/file-lock.js';
import { BerthError } from '../errors.js';

export interface LockTiming {
  /** A lock whose holder stopped touching it for this long is abandoned (holder hung, or on another host). */
  staleMs: number;
  /** How long to wait for another process before giving up. */
  timeoutMs: number;
  retryMs: number;
}

const defaultTiming: LockTiming = { staleMs: 2 * 60_000, timeoutMs: 3 * 60_000, retryMs: 50 };

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

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
    const owner: Required<LockOwner> = { pid: process.pid, host: this.host, id: randomUUID(), since: new Date().toISOString() };
    const deadline = Date.now() + this.timing.timeoutMs;
    let holder: LockOwner | undefined;
    for (;;) {
      if (await this.tryCreate(path, owner)) break;
      const seen = await this.inspect(path);
      if (seen === 'gone') continue;
      holder = seen.owner;
      if (seen.stale) {
        await this.takeOver(path, seen.raw);
        continue;
      }
      if (Date.now() > deadline) {
        const who = holder ? `process ${holder.pid}${holder.host === this.host ? '' : ` on ${holder.host}`}` : 'process';
        throw new BerthError(
          'lock-timeout',
          `Another Berth ${who} has been refreshing ${registry} for over ${Math.round(this.timing.timeoutMs / 1000)} s (lock ${path}). Try again later; if no Berth process is running, delete that file.`,
          { registry },
        );
      }
      await sleep(this.timing.retryMs * (0.5 + Math.random()));
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

  private async tryCreate(path: string, owner: LockOwner): Promise<boolean> {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(owner));
      } catch (error) {
        // A lock without its owner (a full disk) would make the next command wait: it is not left behind.
        await handle.close();
        await unlink(path).catch(() => undefined);
        throw error;
      }
      await handle.close();
      return true;
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      throw new BerthError('file-write', `Cannot create the lock file ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  private async inspect(path: string): Promise<'gone' | { raw: string; owner: LockOwner | undefined; stale: boolean }> {
    try {
      const [raw, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      const owner = parseLockOwner(raw);
      const age = Date.now() - info.mtimeMs;
      const deadHolder = owner !== undefined && owner.host === this.host && !isAlive(owner.pid);
      return { raw, owner, stale: owner === undefined ? age > ownerlessGraceMs : deadHolder || age > this.timing.staleMs };
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return 'gone';
      throw error;
    }
  }

  /** Removes an abandoned lock; a guard file makes sure two waiters never both remove it (and a fresh lock with it). */
  private async takeOver(path: string, staleRaw: string): Promise<void> {
    const guard = `${path}.takeover`;
    try {
      await (await open(guard, 'wx', 0o600)).close();
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
      const age = await stat(guard).then((info) => Date.now() - info.mtimeMs, () => 0);
      if (age > 10_000) await unlink(guard).catch(() => undefined);
      return;
    }
    try {
      const current = await readFile(path, 'utf8').catch(() => undefined);
      if (current === staleRaw) await unlink(path).catch(() => undefined);
    } finally {
      await unlink(guard).catch(() => undefined);
    }
  }
}
