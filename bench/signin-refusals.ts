import { performance } from 'node:perf_hooks';
import { createNodeApi } from '../main/api/node.js';
import { startRig } from '../test/rig/index.js';
import { uniqueName, workspace } from '../test/helpers/berth.js';
import { summary } from './stats.js';

// How long a sign-in takes to fail when the identity provider refuses Berth's request: an unknown client id, and a
// redirect URI the client does not allow (10 runs each, on the rig). Aim: under 2 s, instead of the five-minute wait.
const runs = Number(process.env.BENCH_RUNS ?? 10);
const aimMs = 2000;
const [rig, otherRedirect] = await Promise.all([startRig(), startRig({ berthClient: { redirect_uris: ['http://127.0.0.1/oauth/done'] } })]);
try {
  for (const [label, url, clientId, refusal] of [
    ['unknown client id', rig.harbor.url, 'no-such-client', /does not know the client id "no-such-client"/],
    ['redirect URI not allowed', otherRedirect.harbor.url, otherRedirect.berthClientId, /does not allow Berth's redirect URI/],
  ] as const) {
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const name = uniqueName('bench');
    await api.addRegistry({ name, url, clientId, authParams: { prompt: 'consent' } });
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const error = await api.signIn(name, { timeoutMs: 300_000, openBrowser: () => Promise.reject(new Error('a browser was opened')) }).then(
        () => new Error(`${label}: the sign-in did not fail`),
        (reason: unknown) => (reason instanceof Error ? reason : new Error(String(reason))),
      );
      samples.push(performance.now() - started);
      // Only its own refusal counts: a faster failure of another kind would measure nothing.
      if (!refusal.test(error.message)) throw new Error(`${label}: failed otherwise: ${error.message}`);
    }
    const missed = samples.filter((ms) => ms >= aimMs).length;
    console.log(`sign-in refused (${label}): start → error, ${runs} runs on the rig`);
    console.log(`  each: ${samples.map((ms) => `${ms.toFixed(1)} ms`).join(', ')}`);
    console.log(`  ${summary(samples)}`);
    console.log(`  aim (under ${aimMs} ms every time): ${missed === 0 ? 'met' : `NOT met, ${missed} of ${runs} took longer`}`);
  }
} finally {
  await Promise.all([rig.stop(), otherRedirect.stop()]);
}
