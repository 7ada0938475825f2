import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { BerthError, errorMessage } from '../errors.js';

/** How long a read-modify-write waits for another Berth process, and how long a silent holder is trusted. */
const waitMs = 10_000;
const retryMs = 15;
// Critical sections are a read, a computation and a write: a holder silent for this long is gone.
const staleMs = 30_000;
// A lock file without its owner yet: its creator writes one at once, so after this it died in between (kill, full disk).
export const ownerlessGraceMs = 2_000;

const host = hostname();

/** Who holds a lock file: written into it by its creator. */
export interface LockOwner {
  pid: number;
  host: string;
  id: string;
  since?: string;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function parseLockOwner(raw: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(raw) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' && typeof owner.id === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** The lock's raw content when its holder is gone (dead on this host, ownerless past the grace, or silent too long). */
function abandoned(path: string): string | undefined {
  let raw: string;
  let age: number;
  try {
    raw = readFileSync(path, 'utf8');
    age = Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  const owner = parseLockOwner(raw);
  if (!owner) return age > ownerlessGraceMs ? raw : undefined;
  if (owner.host === host && !isAlive(owner.pid)) return raw;
  return age > staleMs ? raw : undefined;
}

/** Removes an abandoned lock, unless someone replaced it meanwhile. */
function takeOver(path: string, staleRaw: string): void {
  try {
    if (readFileSync(path, 'utf8') === staleRaw) unlinkSync(path);
  } catch {
    // Gone already: the next attempt creates it.
  }
}

/**
 * Runs `work` holding an advisory lock file, so two Berth processes never interleave a read-modify-write of one file
 * (settings, status, docker's config.json). `work` is short and synchronous: the lock is never held across a wait.
 */
export function withFileLock<T>(lockPath: string, work: () => T): T {
  const id = randomUUID();
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, host, id } satisfies LockOwner));
      } catch (error) {
        // A lock without its owner (a full disk) would make the next writer wait: it is not left behind.
        closeSync(fd);
        try {
          unlinkSync(lockPath);
        } catch {
          // Removed already: nothing is left behind either way.
        }
        throw error;
      }
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BerthError('file-write', `Cannot create the lock file ${lockPath}: ${errorMessage(error)}`, { cause: error });
      }
    }
    const stale = abandoned(lockPath);
    if (stale !== undefined) {
      takeOver(lockPath, stale);
      continue;
    }
    if (Date.now() > deadline) {
      throw new BerthError('lock-timeout', `Another program has held ${lockPath} for over ${waitMs / 1000} s. Try again; if no Berth process is running, delete that file.`);
    }
    sleepSync(retryMs * (0.5 + Math.random()));
  }
  try {
    return work();
  } finally {
    try {
      if (parseLockOwner(readFileSync(lockPath, 'utf8'))?.id === id) unlinkSync(lockPath);
    } catch {
      // Taken over as abandoned meanwhile: it is not ours to remove.
    }
  }
}
