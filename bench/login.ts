import { performance } from 'node:perf_hooks';
import { drive } from '../test/rig/browser-driver.js';
import { benchSetup } from './setup.js';
import { summary } from './stats.js';

// Median time from the loopback callback to credentials written and verified, over 20 sign-ins on the rig.
const runs = Number(process.env.BENCH_RUNS ?? 20);
const { rig, jar, api, name } = await benchSetup();
try {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    let callbackAt = 0;
    let browser: Promise<unknown> = Promise.resolve();
    await api.signIn(name, {
      openBrowser: async (url) => {
        browser = drive(url, { login: 'alice', jar });
      },
      onCallback: () => (callbackAt = performance.now()),
    });
    samples.push(performance.now() - callbackAt);
    await browser;
  }
  console.log(`login: callback → credentials written and verified, ${runs} runs on the rig`);
  console.log(`  ${summary(samples)}`);
  await api.signOut(name);
} finally {
  await rig.stop();
}
