import { setTimeout as sleep } from 'node:timers/promises';
import { startRig } from '../test/rig/index.js';
import { errorMessage } from '../main/errors.js';
import { berthChild, dockerSees, exited, foreignProblems, lane, storedSecret, type Lane } from './signed-in.js';
import { fail, lose, type Row } from './row.js';

/** `regenerate` killed a moment after Harbor took its secret; `false` when it had ended by then (the kill hit nothing). */
async function killAfterHarborTook(on: Lane, into: Row): Promise<boolean> {
  const child = berthChild(on.ws, ['regenerate', 'a', '--yes']);
  const delay = Math.random() * 40;
  let changed = false;
  let hit = false;
  on.oidc.harbor.onSecretChanged = () => {
    changed = true;
    void sleep(delay).then(() => {
      hit = child.exitCode === null && child.signalCode === null;
      child.kill('SIGKILL');
    });
  };
  await exited(child);
  on.oidc.harbor.onSecretChanged = undefined;
  if (!changed) fail(into, 'regenerate ended before Harbor took a new secret');
  return hit;
}

/** One regenerate, killed a moment after Harbor took its secret, then one refresh: Harbor, the keychain and docker must agree. */
async function killedRegenerate(on: Lane, into: Row, host: string): Promise<void> {
  // A kill that came after regenerate had ended is not a kill in the window: it is run again.
  let hit = false;
  for (let attempt = 0; attempt < 5 && !hit; attempt++) {
    hit = await killAfterHarborTook(on, into);
    if (!hit) await on.ws.berth('refresh', 'a');
  }
  if (!hit) fail(into, 'in 5 runs, regenerate had always ended before its kill');
  const refresh = await on.ws.berth('refresh', 'a');
  if (refresh.code !== 0) fail(into, `refresh after the kill ended with ${refresh.code}: ${(refresh.stderr + refresh.stdout).trim().slice(0, 300)}`);
  const harborHas = on.oidc.harbor.user('alice')?.secret;
  if ((await dockerSees(on.ws, host)) !== `alice:${harborHas}`) lose(into, 'after the kill and a refresh, docker does not hold the secret Harbor has');
  if ((await storedSecret(on.ws, 'a', 'cli-secret')) !== harborHas) lose(into, 'the keychain does not hold the secret Harbor has');
  if ((await storedSecret(on.ws, 'a', 'pending-cli-secret')) !== null) fail(into, 'the journal was not closed by the refresh');
  for (const problem of foreignProblems(on.ws)) lose(into, problem);
}

/** `regenerate` killed 0–40 ms after Harbor took the new secret: the one window where Harbor, the keychain and docker disagree. */
export async function regenerateWindow(into: Row, tries: number): Promise<void> {
  const [oidc, web] = await Promise.all([startRig(), startRig({ berthClient: false })]);
  try {
    await Promise.all([oidc.webLogin('alice'), web.webLogin('bob')]);
    const on = await lane(oidc, web);
    const host = new URL(oidc.harbor.url).host;
    for (let i = 0; i < tries; i++) {
      into.tries += 1;
      try {
        await killedRegenerate(on, into, host);
      } catch (error) {
        fail(into, `try ${i}: ${errorMessage(error)}`);
      }
    }
  } finally {
    await Promise.all([oidc.stop(), web.stop()]);
  }
}
