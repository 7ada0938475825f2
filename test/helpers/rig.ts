import { after, before } from 'node:test';
import { startRig, type Rig, type RigOptions } from '../rig/index.js';

/** Starts a rig before the suite's tests (with web logins that onboard these users) and stops it after; call the result for the rig. */
export function useRig(options: RigOptions, ...users: string[]): () => Rig {
  let rig: Rig | undefined;
  before(async () => {
    rig = await startRig(options);
    await Promise.all(users.map((user) => (rig as Rig).webLogin(user)));
  });
  after(() => rig?.stop());
  return () => {
    if (!rig) throw new Error('the rig did not start');
    return rig;
  };
}
