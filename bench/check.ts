import { keychain, secretAccount } from '../main/secrets/keychain.js';
import { parseReference } from '../main/registry/reference.js';
import { drive } from '../test/rig/browser-driver.js';
import { berthBin } from '../test/helpers/berth.js';
import { ioFloorScript } from './io-floor-script.js';
import { benchSetup } from './setup.js';
import { median, summary } from './stats.js';
import { aimLine, runtimes } from './runtimes.js';
import { timeInTurns, timeOnce, type Contender } from './timing.js';

// "Will this pull work?" three ways against the rig's Harbor: the requests each sends (counted at the Harbor double)
// and the median wall-clock time of 30 runs each, on plain loopback and with 50 ms added to every response.
// Aims: berth check ≤ 1.5× node -e 0 on loopback, and ≤ 0.7× docker manifest inspect at 50 ms per response, on Node 22
// (the packaged CLI's runtime); Node 20 for comparison. Beside them on loopback, the check's own I/O alone on Node
// (bench/io-floor.ts): its two keychain reads and one HEAD with the remembered token, the part no start-up work can remove.
const runs = Number(process.env.BENCH_RUNS ?? 30);
const floor = await ioFloorScript();
const { rig, jar, api, name, ws } = await benchSetup();
try {
  await api.signIn(name, { openBrowser: async (url) => void drive(url, { login: 'alice', jar }) });
  const image = rig.imageRef;
  const nodes = runtimes();
  const berthOn = (node: string): Contender => ({ label: 'berth check', program: node, args: [berthBin, 'check', image], env: ws.env });
  const others: Contender[] = [
    { label: 'docker manifest inspect', program: 'docker', args: ['manifest', 'inspect', '--insecure', image], env: ws.env },
    { label: 'skopeo inspect', program: 'skopeo', args: ['inspect', '--tls-verify=false', `docker://${image}`], env: ws.env },
  ];

  console.log(`berth check ${image} against docker and skopeo (requests at the Harbor double; ${runs} runs each, taken in turns)`);
  const requestsOf = async (contender: Contender) => {
    const before = rig.harbor.requestLog.length;
    await timeOnce(contender);
    const sent = rig.harbor.requestLog.slice(before);
    return `${sent.length} request${sent.length === 1 ? '' : 's'}: ${sent.join(', ')}`;
  };
  const berth = berthOn((nodes[0] as { node: string }).node);
  console.log(`  ${'berth check, first'.padEnd(40)} ${await requestsOf(berth)}`);
  // Without the remembered token: what a check sends once the last good one is over a minute old.
  await keychain(ws.berthHome).delete(name, 'registry-tokens');
  console.log(`  ${'berth check, challenge known'.padEnd(40)} ${await requestsOf(berth)}`);
  console.log(`  ${'berth check, token from <1 min ago'.padEnd(40)} ${await requestsOf(berth)}`);
  for (const contender of others) console.log(`  ${contender.label.padEnd(40)} ${await requestsOf(contender)}`);
  const { registry, repository, tag } = parseReference(image);
  const ioOf = (node: string): Contender => ({
    label: 'the check\'s I/O alone',
    program: node,
    args: [floor.file, 'check', secretAccount(ws.berthHome, name, 'cli-secret'), secretAccount(ws.berthHome, name, 'registry-tokens'), `http://${registry}/v2/${repository}/manifests/${tag}`],
    env: ws.env,
  });
  for (const runtime of nodes) {
    const contenders = [berthOn(runtime.node), ...others];
    const bare: Contender = { label: 'node -e 0', program: runtime.node, args: ['-e', '0'], env: ws.env };
    const io = ioOf(runtime.node);
    console.log(`  berth check on ${runtime.label}:`);
    for (const delay of [0, 50]) {
      rig.harbor.responseDelayMs = delay;
      const samples = await timeInTurns(delay === 0 ? [...contenders, bare, io] : contenders, runs);
      console.log(delay === 0 ? '    plain loopback:' : `    ${delay} ms added to every response:`);
      for (const [label, times] of samples) console.log(`      ${label.padEnd(24)} ${summary(times)}`);
      const time = (label: string) => median(samples.get(label) ?? []);
      console.log(
        delay === 0
          ? `      ${aimLine('berth check / node -e 0:', time('berth check') / time(bare.label), 1.5)}; its I/O alone (Node, two keychain reads over Berth's D-Bus client, one HEAD): ${(time(io.label) / time(bare.label)).toFixed(2)}×`
          : `      ${aimLine('berth check / docker manifest inspect:', time('berth check') / time('docker manifest inspect'), 0.7)}; ${(time('berth check') / time('skopeo inspect')).toFixed(2)}× skopeo inspect`,
      );
    }
  }
  rig.harbor.responseDelayMs = 0;
  await api.signOut(name);
} finally {
  await rig.stop();
  floor.remove();
}
