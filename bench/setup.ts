import { createNodeApi } from '../main/api/node.js';
import type { CookieJar } from '../test/rig/browser-driver.js';
import { startRig, type Rig, type RigOptions } from '../test/rig/index.js';
import { uniqueName, workspace, type Workspace } from '../test/helpers/berth.js';
import type { BerthApi } from '../main/api/index.js';

export interface BenchSetup {
  rig: Rig;
  /** Alice's browser after her first web login at Harbor (she is onboarded and has an SSO session). */
  jar: CookieJar;
  api: BerthApi;
  name: string;
  /** The workspace the API works in: its env points docker, skopeo and Berth's CLI at the same files. */
  ws: Workspace;
}

/** The rig, Alice onboarded at Harbor, and one registry added in a fresh workspace; the caller stops the rig. */
export async function benchSetup(options: RigOptions = {}): Promise<BenchSetup> {
  const rig = await startRig(options);
  const ws = workspace();
  const api = createNodeApi(ws.env);
  const name = uniqueName('bench');
  await api.addRegistry({ name, url: rig.harbor.url, issuer: rig.idp.issuer, clientId: rig.berthClientId, authParams: { prompt: 'consent' } });
  return { rig, jar: await rig.webLogin('alice'), api, name, ws };
}
