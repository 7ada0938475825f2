import { join } from 'node:path';
import { secretAccount } from '../main/secrets/keychain.js';
import { drive } from '../test/rig/browser-driver.js';
import { projectRoot } from '../test/helpers/berth.js';
import { ioFloorScript } from './io-floor-script.js';
import { benchSetup } from './setup.js';
import { median, summary } from './stats.js';
import { aimLine, runtimes } from './runtimes.js';
import { timeInTurns, timeOnce, type Contender } from './timing.js';

// docker runs its credential helper on every pull and push: docker-credential-berth get against Debian's
// docker-credential-secretservice get (same keyring) and against `node -e 0`, the floor for any Node program; and the
// same `get` for a STACKIT registry whose access token is cached in the keychain, which must stay as close to the floor;
// and the helper's keychain read alone on Node (bench/io-floor.ts), the part of `get` no start-up work can remove.
const runs = Number(process.env.BENCH_RUNS ?? 30);
// Finding Node 22 blocks for a while: before the rig, so no idle connection to it dies meanwhile.
const nodes = runtimes();
const floor = await ioFloorScript();
const { rig, jar, api, name, ws } = await benchSetup({ stackit: true });
try {
  await api.signIn(name, { openBrowser: async (url) => void drive(url, { login: 'alice', jar }) });
  const host = new URL(rig.harbor.url).host;
  // The same Harbor under another name is another registry host to docker: the STACKIT registry lives there.
  const stackitHost = `localhost:${new URL(rig.harbor.url).port}`;
  const endpoint = rig.stackit as NonNullable<typeof rig.stackit>;
  endpoint.lifetimeSeconds = 3600;
  const account = endpoint.serviceAccount('bench@sa.stackit.cloud');
  const robot = rig.harbor.robots.create('demo', 'bench');
  rig.harbor.robots.link(robot.name, account, endpoint.verifyAccessToken);
  await api.addRegistry({ kind: 'stackit', name: 'bench-stackit', url: `http://${stackitHost}`, key: endpoint.createKey(account, { tokenEndpoint: endpoint.tokenUrl }) });
  await api.setTarget('bench-stackit', 'helper');
  const mintsBefore = endpoint.mintsFor(account);
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
        { label: 'docker-credential-berth get (STACKIT)', program: runtime.node, args: [join(projectRoot, 'bin', 'docker-credential-berth.js'), 'get'], env, stdin: stackitHost },
        { label: 'docker-credential-secretservice get', program: 'docker-credential-secretservice', args: ['get'], env, stdin: otherHost },
        { label: 'node -e 0', program: runtime.node, args: ['-e', '0'], env },
        { label: 'the keychain read alone', program: runtime.node, args: [floor.file, 'keychain', secretAccount(ws.berthHome, name, 'cli-secret')], env },
      ];
      const samples = await timeInTurns(contenders, runs);
      console.log(`credential helper "get" on ${runtime.label} with the secret in the keyring, ${runs} runs each, taken in turns; ${setting}`);
      for (const [label, times] of samples) console.log(`  ${label.padEnd(38)} ${summary(times)}`);
      const [berth, stackit, secretservice, node, read] = contenders.map((contender) => median(samples.get(contender.label) ?? [])) as [number, number, number, number, number];
      console.log(`  ${aimLine('docker-credential-berth get / node -e 0:', berth / node, 1.3)}; ${(berth / secretservice).toFixed(2)}× docker-credential-secretservice get`);
      // A STACKIT registry with a cached token is held to the same aim, printed beside the Harbor registry's ratio.
      console.log(`  ${aimLine('the same for a STACKIT registry, cached token:', stackit / node, 1.3)} (Harbor registry: ${(berth / node).toFixed(2)}×)`);
      console.log(`  the keychain read alone (Node and Berth's D-Bus read of the one entry, nothing else): ${(read / node).toFixed(2)}× node -e 0; get takes ${(berth - read).toFixed(1)} ms more`);
    }
  };
  // Node reads NODE_EXTRA_CA_CERTS at every start, which raises the floor; this machine sets it, most desktops do not.
  const extraCa = ws.env.NODE_EXTRA_CA_CERTS;
  await compare(ws.env, extraCa ? `NODE_EXTRA_CA_CERTS=${extraCa}, as this machine sets it` : 'NODE_EXTRA_CA_CERTS unset');
  if (extraCa) await compare({ ...ws.env, NODE_EXTRA_CA_CERTS: '' }, 'NODE_EXTRA_CA_CERTS unset');
  await timeOnce({ label: 'secretservice erase', program: 'docker-credential-secretservice', args: ['erase'], env: ws.env, stdin: otherHost });
  console.log(`  the STACKIT token endpoint saw ${endpoint.mintsFor(account) - mintsBefore} mints during the runs (the cached token served them all)`);
  await api.removeRegistry('bench-stackit');
  await api.signOut(name);
} finally {
  await rig.stop();
  floor.remove();
}
