import { join } from 'node:path';
import { drive } from '../test/rig/browser-driver.js';
import { projectRoot } from '../test/helpers/berth.js';
import { benchSetup } from './setup.js';
import { median, summary } from './stats.js';
import { aimLine, runtimes } from './runtimes.js';
import { timeInTurns, timeOnce, type Contender } from './timing.js';

// docker runs its credential helper on every pull and push: docker-credential-berth get against Debian's
// docker-credential-secretservice get (same keyring) and against `node -e 0`, the floor for any Node program.
const runs = Number(process.env.BENCH_RUNS ?? 30);
const { rig, jar, api, name, ws } = await benchSetup();
const nodes = runtimes();
try {
  await api.signIn(name, { openBrowser: async (url) => void drive(url, { login: 'alice', jar }) });
  const host = new URL(rig.harbor.url).host;
  const otherHost = 'bench.registry.example.org';
  await timeOnce({
    label: 'secretservice store',
    program: 'docker-credential-secretservice',
    args: ['store'],
    env: ws.env,
    stdin: JSON.stringify({ ServerURL: otherHost, Username: 'robot', Secret: 'not-a-real-secret' }),
  });
  const compare = async (env: NodeJS.ProcessEnv, setting: string) => {
    for (const runtime of nodes) {
      const contenders: Contender[] = [
        { label: 'docker-credential-berth get', program: runtime.node, args: [join(projectRoot, 'bin', 'docker-credential-berth.js'), 'get'], env, stdin: host },
        { label: 'docker-credential-secretservice get', program: 'docker-credential-secretservice', args: ['get'], env, stdin: otherHost },
        { label: 'node -e 0', program: runtime.node, args: ['-e', '0'], env },
      ];
      const samples = await timeInTurns(contenders, runs);
      console.log(`credential helper "get" on ${runtime.label} with the secret in the keyring, ${runs} runs each, taken in turns; ${setting}`);
      for (const [label, times] of samples) console.log(`  ${label.padEnd(36)} ${summary(times)}`);
      const [berth, secretservice, node] = contenders.map((contender) => median(samples.get(contender.label) ?? [])) as [number, number, number];
      console.log(`  ${aimLine('docker-credential-berth get / node -e 0:', berth / node, 1.3)}; ${(berth / secretservice).toFixed(2)}× docker-credential-secretservice get`);
    }
  };
  // Node reads NODE_EXTRA_CA_CERTS at every start, which raises the floor; this machine sets it, most desktops do not.
  const extraCa = ws.env.NODE_EXTRA_CA_CERTS;
  await compare(ws.env, extraCa ? `NODE_EXTRA_CA_CERTS=${extraCa}, as this machine sets it` : 'NODE_EXTRA_CA_CERTS unset');
  if (extraCa) await compare({ ...ws.env, NODE_EXTRA_CA_CERTS: '' }, 'NODE_EXTRA_CA_CERTS unset');
  await timeOnce({ label: 'secretservice erase', program: 'docker-credential-secretservice', args: ['erase'], env: ws.env, stdin: otherHost });
  await api.signOut(name);
} finally {
  await rig.stop();
}
