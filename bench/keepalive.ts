import { performance } from 'node:perf_hooks';
import { drive } from '../test/rig/browser-driver.js';
import { benchSetup } from './setup.js';
import { summary } from './stats.js';

// The requests one keep-alive pass sends per registry, and the median time of a pass over 20 on the rig.
// Access tokens live 1 s, so Harbor refreshes its stored session on every pass, as it does on a daily pass in production.
const runs = Number(process.env.BENCH_RUNS ?? 20);
const { rig, jar, api, name } = await benchSetup({ accessTokenTtl: 1 });
try {
  await api.signIn(name, { openBrowser: async (url) => void drive(url, { login: 'alice', jar }) });
  await new Promise((resolve) => setTimeout(resolve, 1100));

  const requests = { idp: rig.idp.requestLog.length, harbor: rig.harbor.requestLog.length, grants: rig.idp.grants.length };
  const first = await api.refresh(name);
  if (first.state !== 'valid') throw new Error(`the pass ended ${first.state}: ${first.lastError}`);
  const idpRequests = rig.idp.requestLog.slice(requests.idp);
  const harborRequests = rig.harbor.requestLog.slice(requests.harbor);
  // Harbor's own refresh grant reaches the provider too; the grant log tells whose each token request was.
  const harborGrants = rig.idp.grants.slice(requests.grants).filter((client) => client === rig.harborClientId).length;
  const byBerth = [...idpRequests];
  for (let i = 0; i < harborGrants; i++) byBerth.splice(byBerth.lastIndexOf('POST /token'), 1);
  console.log(`keep-alive pass, one Harbor registry: ${byBerth.length + harborRequests.length} requests from Berth`);
  console.log(`  to the identity provider: ${byBerth.join(', ')}`);
  console.log(`  to Harbor:                ${harborRequests.join(', ')}`);
  console.log(`  and from Harbor to the identity provider, as the secret is used: ${harborGrants} refresh grant(s)`);

  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const view = await api.refresh(name);
    samples.push(performance.now() - started);
    if (view.state !== 'valid') throw new Error(`pass ${i} ended ${view.state}: ${view.lastError}`);
  }
  console.log(`one pass (lock, refresh grant, token store, /service/token, status), ${runs} runs on the rig`);
  console.log(`  ${summary(samples)}`);
  await api.signOut(name);
} finally {
  await rig.stop();
}
