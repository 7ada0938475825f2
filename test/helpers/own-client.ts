import assert from 'node:assert/strict';
import type { Rig } from '../rig/index.js';
import { uniqueName, workspace, type Workspace } from './berth.js';

/** What `berth status --json` says of a registry with Berth's own client, as far as these tests look. */
export interface Status {
  state: string;
  lastError: string | null;
  notice: string | null;
  sessionExpiresAt: string | null;
  sessionFixed: boolean;
  lastKeptAliveAt: string | null;
}

export async function status(ws: Workspace, name: string): Promise<Status> {
  return (JSON.parse((await ws.berth('status', name, '--json')).stdout) as Status[])[0] as Status;
}

/** A workspace with a registry that signs in with Berth's own client, added with these flags and not yet signed in. */
export async function added(rig: Rig, user: string, ...flags: string[]): Promise<{ ws: Workspace; name: string }> {
  const ws = workspace();
  const name = uniqueName(user);
  const add = await ws.berth('add', 'harbor', name, '--url', rig.harbor.url, '--client-id', rig.berthClientId, ...flags);
  assert.equal(add.code, 0, add.stderr);
  return { ws, name };
}
