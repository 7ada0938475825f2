import { keychain } from '../main/secrets/keychain.js';
import { drive } from '../test/rig/browser-driver.js';
import { berthBin } from '../test/helpers/berth.js';
import { benchSetup } from './setup.js';
import { median, summary } from './stats.js';
import { timeInTurns, timeOnce, type Contender } from './timing.js';

// "Will this pull work?" three ways against the rig's Harbor: the requests each sends (counted at the Harbor double)
// and the median wall-clock time of 30 runs each, on plain loopback and with 50 ms added to every response.
const runs = Number(process.env.BENCH_RUNS ?? 30);
const { rig, jar, api, name, ws } = await benchSetup();
try {
  await api.signIn(name, { openBrowser: async (url) => void drive(url, { login: 'alice', jar }) });
  const image = rig.imageRef;
  const contenders: Contender[] = [
    { label: 'berth check', program: process.execPath, args: [berthBin, 'check', image], env: ws.env },
    { label: 'docker manifest inspect', program: 'docker', args: ['manifest', 'inspect', '--insecure', image], env: ws.env },
    { label: 'skopeo inspect', program: 'skopeo', args: ['inspect', '--tls-verify=false', `docker://${image}`], env: ws.env },
  ];
  const floor: Contender = { label: 'node -e 0', program: process.execPath, args: ['-e', '0'], env: ws.env };

  console.log(`berth check ${image} against docker and skopeo (requests at the Harbor double; ${runs} runs each, taken in turns)`);
  const requestsOf = async (contender: Contender) => {
    const before = rig.harbor.requestLog.length;
    await timeOnce(contender);
    const sent = rig.harbor.requestLog.slice(before);
    return `${sent.length} request${sent.length === 1 ? '' : 's'}: ${sent.join(', ')}`;
  };
  const [berth, ...others] = contenders as [Contender, ...Contender[]];
  console.log(`  ${'berth check, first'.padEnd(40)} ${await requestsOf(berth)}`);
  // Without the remembered token: what a check sends once the last good one is over a minute old.
  await keychain(ws.berthHome).delete(name, 'registry-tokens');
  console.log(`  ${'berth check, challenge known'.padEnd(40)} ${await requestsOf(berth)}`);
  console.log(`  ${'berth check, token from <1 min ago'.padEnd(40)} ${await requestsOf(berth)}`);
  for (const contender of others) console.log(`  ${contender.label.padEnd(40)} ${await requestsOf(contender)}`);
  for (const delay of [0, 50]) {
    rig.harbor.responseDelayMs = delay;
    const samples = await timeInTurns(delay === 0 ? [...contenders, floor] : contenders, runs);
    console.log(delay === 0 ? '  plain loopback:' : `  ${delay} ms added to every response:`);
    for (const [label, times] of samples) console.log(`    ${label.padEnd(24)} ${summary(times)}`);
    const berth = median(samples.get('berth check') ?? []);
    const others = contenders.slice(1).map((contender) => `${(median(samples.get(contender.label) ?? []) / berth).toFixed(2)}× for ${contender.label}`);
    const vsNode = delay === 0 ? `; berth check is ${(berth / median(samples.get(floor.label) ?? [])).toFixed(2)}× node -e 0` : '';
    console.log(`    time relative to berth check: ${others.join(', ')}${vsNode}`);
  }
  rig.harbor.responseDelayMs = 0;
  await api.signOut(name);
} finally {
  await rig.stop();
}
