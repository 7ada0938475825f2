import { startRig } from '../test/rig/index.js';
import { workspace } from '../test/helpers/berth.js';
import { anyLoginRegistry, concurrentWriterRounds, regenerateRounds, statusLoops, statusWriterRounds, twoSignedIn, type WriterOutcome } from '../test/helpers/writers.js';
import { fail, lose, type Row } from './row.js';

/**
 * Rounds of two `berth target`s with the real `docker login`, of `berth regenerate` with `docker login`, and of two refreshes
 * writing status.json, each followed by the repair; then two processes hammering status.json.
 */
export async function writers(into: Row, rounds: number): Promise<void> {
  const [first, second, foreign] = await Promise.all([startRig(), startRig(), anyLoginRegistry()]);
  const counted = (done: WriterOutcome, tries: number) => {
    into.tries += tries;
    for (const what of done.failures) fail(into, what);
    for (const what of done.lost) lose(into, what);
  };
  try {
    await Promise.all([first.webLogin('alice'), second.webLogin('bob')]);
    const ws = workspace();
    await twoSignedIn(ws, first, second);
    const hosts = { one: new URL(first.harbor.url).host, two: new URL(second.harbor.url).host };
    const foreignHost = new URL(foreign.url).host;
    counted(await concurrentWriterRounds(ws, hosts, foreignHost, rounds), rounds);
    counted(await regenerateRounds(ws, first, hosts.one, foreignHost, rounds), rounds);
    counted(await statusWriterRounds(ws, rounds), rounds);
    counted(await statusLoops(rounds * 10), 1);
  } finally {
    await Promise.all([first.stop(), second.stop(), foreign.stop()]);
  }
}
