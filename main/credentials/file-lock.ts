import { closeSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { BerthError, errorMessage } from '../errors.js';

/** How long a read-modify-write waits for another Berth process, and how long a silent holder is trusted. */
const waitMs = 10_000;
const retryMs = 15;
// Critical sections are a read, a computation and a write: a holder silent for this long is gone.
const staleMs = 30_000;
// A lock file without its owner: older Berths created it empty and wrote the owner next, so one this old lost its creator.
export const ownerlessGraceMs = 2_000;
// A takeover is a read and an unlink: a guard this old lost its holder.
const guardStaleMs = 10_000;

const host = hostname();

let issued = 0;

/**
 * A suffix no other temp file or lock of this process has (the pid and start beside it tell processes apart): unique, not
 * secret, since temp files are created with `wx`. node:crypto would cost every CLI start that writes a file ~4 ms.
 */
function uniqueHex(): string {
  issued += 1;
  return `${Date.now().toString(16)}${issued.toString(16)}${Math.floor(Math.random() * 2 ** 48).toString(16)}`;
}

/** Who holds a lock file: written into it by its creator. */
export interface LockOwner {
  pid: number;
  /** When that process started, where the system says (see `processStart`): a pid given to another process later is not the holder. */
  start?: string;
  host: string;
  id: string;
  since?: string;
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A process's state and start (clock ticks since boot) from Linux's /proc; `undefined` where the system does not say. */
function procStat(pid: number): { state: string; start: string } | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields 3 and 22, counted after the command name, which may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== undefined && fields[19] !== undefined ? { state: fields[0], start: fields[19] } : undefined;
  } catch {
    return undefined;
  }
}

/** When a process started, to tell it from a later one given the same pid; `undefined` where the system does not say. */
export function processStart(pid: number): string | undefined {
  return procStat(pid)?.start;
}

let ownStart: string | undefined | null = null;

function myStart(): string | undefined {
  if (ownStart === null) ownStart = processStart(process.pid);
  return ownStart;
}

/** Whether the process `pid` runs; with `start`, only if it is the one that started then, not a later one the pid went to. */
export function isAlive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = procStat(pid);
  // A zombie (killed, not yet reaped) writes nothing more.
  if (now?.state === 'Z') return false;
  return start === undefined || now === undefined || now.start === start;
}

export function parseLockOwner(raw: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(raw) as Partial<LockOwner>;
    if (typeof owner.pid !== 'number' || typeof owner.host !== 'string' || typeof owner.id !== 'string') return undefined;
    // A start that is not a string cannot be compared: the pid alone judges that owner.
    const { start, ...known } = owner as LockOwner;
    return typeof start === 'string' ? { ...known, start } : known;
  } catch {
    return undefined;
  }
}

export function newLockOwner(): LockOwner {
  const start = myStart();
  return { pid: process.pid, ...(start !== undefined ? { start } : {}), host, id: uniqueHex() };
}

/** Whether a lock with this content and age has lost its holder: dead on this host, ownerless past the grace, or silent too long. */
export function lockAbandoned(raw: string, ageMs: number, silentMs: number): boolean {
  const owner = parseLockOwner(raw);
  if (!owner) return ageMs > ownerlessGraceMs;
  if (owner.host === host && !isAlive(owner.pid, owner.start)) return true;
  return ageMs > silentMs;
}

/**
 * Berth's temp files beside `path` carry their writer's pid (and, on Linux, its start), so the next writer can tell a dead
 * one's leftovers: `.<name>.berth-<pid>[.<start>]-<random>.tmp`.
 */
export function tempFileFor(path: string): string {
  const start = myStart();
  return join(dirname(path), `.${basename(path)}.berth-${process.pid}${start !== undefined ? `.${start}` : ''}-${uniqueHex()}.tmp`);
}

/** The writer a temp file of `tempFileFor` names, or `undefined` for any other name. */
export function tempFileWriter(name: string): { pid: number; start?: string } | undefined {
  const found = /^\..+\.berth-(\d+)(?:\.(\d+))?-[0-9a-f]+\.tmp$/.exec(name);
  if (!found) return undefined;
  return { pid: Number(found[1]), ...(found[2] !== undefined ? { start: found[2] } : {}) };
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/**
 * A lock file's content made ready beside it, to be linked into place in one step: a lock is never seen empty (a waiter
 * taking over an ownerless lock could otherwise remove a fresh one between its creation and its owner being written).
 * On a full disk this fails, and nothing is left behind.
 */
export function prepareLockFile(path: string, owner: LockOwner): string {
  const temp = tempFileFor(path);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(owner));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // Never created.
    }
    throw new BerthError('file-write', `Cannot create the lock file ${path}: ${errorMessage(error)}`, { cause: error });
  }
  return temp;
}

/** Puts the prepared lock in place unless a lock is there already; `false` when another holds it. */
function placeLockFile(temp: string, path: string): boolean {
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if (code(error) === 'EEXIST') return false;
    // A file system without hard links (some network and FUSE ones): exclusive create, then the owner.
    if (['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(code(error) ?? '')) return createWithOwner(path, readFileSync(temp, 'utf8'));
    throw new BerthError('file-write', `Cannot create the lock file ${path}: ${errorMessage(error)}`, { cause: error });
  }
}

function createWithOwner(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if (code(error) === 'EEXIST') return false;
    throw new BerthError('file-write', `Cannot create the lock file ${path}: ${errorMessage(error)}`, { cause: error });
  }
  try {
    writeSync(fd, content);
  } catch (error) {
    // A lock without its owner (a full disk) would make the next writer wait: it is not left behind.
    closeSync(fd);
    removeFile(path);
    throw new BerthError('file-write', `Cannot create the lock file ${path}: ${errorMessage(error)}`, { cause: error });
  }
  closeSync(fd);
  return true;
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}

/** The lock's content and age, or `undefined` when there is none. */
export function readLock(path: string): { raw: string; ageMs: number } | undefined {
  try {
    const raw = readFileSync(path, 'utf8');
    return { raw, ageMs: Date.now() - statSync(path).mtimeMs };
  } catch (error) {
    if (code(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Removes an abandoned lock whose content was `staleRaw`, unless it was replaced meanwhile. One waiter at a time does this
 * (a guard file beside the lock), so two waiters can never both remove it, and with it the fresh lock of a third.
 */
export function takeOverLock(path: string, staleRaw: string): void {
  const guard = `${path}.takeover`;
  const temp = prepareLockFile(guard, newLockOwner());
  try {
    if (!placeLockFile(temp, guard)) {
      const seen = readLock(guard);
      if (seen && lockAbandoned(seen.raw, seen.ageMs, guardStaleMs) && readLock(guard)?.raw === seen.raw) removeFile(guard);
      return;
    }
  } finally {
    removeFile(temp);
  }
  try {
    if (readLock(path)?.raw === staleRaw) removeFile(path);
  } finally {
    removeFile(guard);
  }
}

/**
 * One try at taking the lock at `path` with the prepared `temp`: `placed`, `again` when it was released or taken over from
 * a dead or stale holder just now (try at once), or what the live holder wrote in it (wait, then try again).
 */
export function tryLock(temp: string, path: string, staleAfterMs: number): 'placed' | 'again' | { holder: string } {
  if (placeLockFile(temp, path)) return 'placed';
  const seen = readLock(path);
  if (seen === undefined) return 'again';
  if (lockAbandoned(seen.raw, seen.ageMs, staleAfterMs)) {
    takeOverLock(path, seen.raw);
    return 'again';
  }
  return { holder: seen.raw };
}

/**
 * Runs `work` holding an advisory lock file, so two Berth processes never interleave a read-modify-write of one file
 * (settings, status, docker's config.json). `work` is short and synchronous: the lock is never held across a wait.
 */
export function withFileLock<T>(lockPath: string, work: () => T): T {
  const owner = newLockOwner();
  const deadline = Date.now() + waitMs;
  const temp = prepareLockFile(lockPath, owner);
  try {
    for (;;) {
      const step = tryLock(temp, lockPath, staleMs);
      if (step === 'placed') break;
      if (step === 'again') continue;
      if (Date.now() > deadline) {
        throw new BerthError('lock-timeout', `Another program has held ${lockPath} for over ${waitMs / 1000} s. Try again; if no Berth process is running, delete that file.`);
      }
      sleepSync(retryMs * (0.5 + Math.random()));
    }
  } finally {
    removeFile(temp);
  }
  try {
    return work();
  } finally {
    try {
      if (parseLockOwner(readFileSync(lockPath, 'utf8'))?.id === owner.id) unlinkSync(lockPath);
    } catch {
      // Taken over as abandoned meanwhile: it is not ours to remove.
    }
  }
}
