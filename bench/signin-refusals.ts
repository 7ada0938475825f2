import { performance } from 'node:perf_hooks';
import { createNodeApi } from '../main/api/node.js';
import { startRig } from '../test/rig/index.js';
import { uniqueName, workspace } from '../test/helpers/berth.js';
import { summary } from './stats.js';

// How long a sign-in takes to fail when the identity provider refuses Berth's request: an unknown client id, and a
// redirect URI the client does not allow (10 runs each, on the rig). Aim: under 2 s, instead of the five-minute wait.
const runs = Number(process.env.BENCH_RUNS ?? 10);
const [rig, otherRedirect] = await Promise.all([startRig(), startRig({ berthClient: { redirect_uris: ['http://127.0.0.1/oauth/done'] } })]);
try {
  for (const [label, url, clientId] of [
    ['unknown client id', rig.harbor.url, 'no-such-client'],
    ['redirect URI not allowed', otherRedirect.harbor.url, otherRedirect.berthClientId],
  ] as const) {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const name = uniqueName('bench');
    await api.addRegistry({ name, url, clientId, authParams: { prompt: 'consent' } });
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const failed = await api.signIn(name, { timeoutMs: 300_000, openBrowser: async () => undefined }).then(
        () => false,
        () => true,
      );
      if (!failed) throw new Error(`${label}: the sign-in did not fail`);
      samples.push(performance.now() - started);
    }
    console.log(`sign-in refused (${label}): start → error, ${runs} runs on the rig`);
    console.log(`  ${summary(samples)}   (aim: under 2000 ms)`);
  }
} finally {
  await Promise.all([rig.stop(), otherRedirect.stop()]);
}
