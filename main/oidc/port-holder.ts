import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** What a read under /proc found, or `undefined` once it is gone (the process ended while Berth looked). */
function readOrNothing<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The inodes of sockets listening on a TCP port, from Linux's /proc/net tables. */
function listeningInodes(port: number, proc: string): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['net/tcp', 'net/tcp6']) {
    const text = readOrNothing(() => readFileSync(join(proc, table), 'utf8')) ?? '';
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the tenth field.
      if (fields[1]?.endsWith(`:${hexPort}`) && fields[3] === '0A' && fields[9]) inodes.add(fields[9]);
    }
  }
  return inodes;
}

/**
 * Which process listens on a TCP port, as "name (pid N)", where the OS tells (Linux, for the user's own processes); else
 * `null`. Processes come and go while Berth looks: one that ends meanwhile is skipped, never an error. `proc`: Linux's /proc.
 */
export function portHolder(port: number, proc = '/proc'): string | null {
  if (process.platform !== 'linux') return null;
  const inodes = listeningInodes(port, proc);
  if (inodes.size === 0) return null;
  const pids = (readOrNothing(() => readdirSync(proc)) ?? []).filter((entry) => /^\d+$/.test(entry));
  for (const pid of pids) {
    const fds = readOrNothing(() => readdirSync(join(proc, pid, 'fd'))) ?? [];
    for (const fd of fds) {
      const inode = /^socket:\[(\d+)\]$/.exec(readOrNothing(() => readlinkSync(join(proc, pid, 'fd', fd))) ?? '')?.[1];
      if (!inode || !inodes.has(inode)) continue;
      const name = readOrNothing(() => readFileSync(join(proc, pid, 'comm'), 'utf8').trim());
      if (name) return `${name} (pid ${pid})`;
    }
  }
  return null;
}
