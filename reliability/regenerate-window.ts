import { setTimeout as sleep } from 'node:timers/promises';
import { startRig } from '../test/rig/index.js';
import { berthChild, dockerSees, exited, foreignProblems, lane, storedSecret } from './signed-in.js';
import { fail, lose, row, type Row } from './row.js';

/** `regenerate` killed 0–40 ms after Harbor took the new secret: the one window where Harbor, the keychain and docker disagree. */
export async function regenerateWindow(tries: number): Promise<Row> {
  const into = row('regenerate killed 0-40 ms after Harbor took the secret');
  const [oidc, web] = await Promise.all([startRig(), startRig({ berthClient: false })]);
  await Promise.all([oidc.webLogin('alice'), web.webLogin('bob')]);
  try {
    const on = await lane(oidc, web);
    const host = new URL(oidc.harbor.url).host;
    for (let i = 0; i < tries; i++) {
      into.tries += 1;
      const child = berthChild(on.ws, ['regenerate', 'a', '--yes']);
      const delay = Math.random() * 40;
      let changed = false;
      oidc.harbor.onSecretChanged = () => {
        changed = true;
        void sleep(delay).then(() => child.kill('SIGKILL'));
      };
      await exited(child);
      oidc.harbor.onSecretChanged = undefined;
      if (!changed) fail(into, 'regenerate ended before Harbor took a new secret');
      const refresh = await on.ws.berth('refresh', 'a');
      if (refresh.code !== 0) fail(into, `refresh after the kill ended with ${refresh.code}: ${(refresh.stderr + refresh.stdout).trim().slice(0, 300)}`);
      const harborHas = oidc.harbor.user('alice')?.secret;
      if ((await dockerSees(on.ws, host)) !== `alice:${harborHas}`) lose(into, `after ${delay.toFixed(0)} ms and a refresh, docker does not hold the secret Harbor has`);
      if ((await storedSecret(on.ws, 'a', 'cli-secret')) !== harborHas) lose(into, 'the keychain does not hold the secret Harbor has');
      if ((await storedSecret(on.ws, 'a', 'pending-cli-secret')) !== null) fail(into, 'the journal was not closed by the refresh');
      for (const problem of foreignProblems(on.ws)) lose(into, problem);
    }
  } finally {
    await Promise.all([oidc.stop(), web.stop()]);
  }
  return into;
}
