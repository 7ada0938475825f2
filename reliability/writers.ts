import { startRig } from '../test/rig/index.js';
import { workspace } from '../test/helpers/berth.js';
import { anyLoginRegistry, concurrentWriterRounds, regenerateRounds, sameRecordLoops, statusLoops, statusWriterRounds, twoSignedIn, type WriterOutcome } from '../test/helpers/writers.js';
import { fail, lose, type Row } from './row.js';

/** The tries of the writers row for `rounds` rounds of each kind: three kinds of rounds, and two runs of two looping writers. */
export function writerTries(rounds: number): number {
  return 3 * rounds + 2;
}

/**
 * Rounds of two `berth target`s with the real `docker login`, of `berth regenerate` with `docker login` (docker aimed at
 * the moment Berth writes config.json, its overlap measured), and of two refreshes writing status.json, each followed by
 * the repair; then two processes hammering status.json, and two changing one registry's record.
 */
export async function writers(into: Row, report: string[], rounds: number): Promise<void> {
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
    // The looping writers work in their own folders: they run alongside the rounds.
    const loops = Promise.all([statusLoops(rounds * 10), sameRecordLoops(rounds * 5)]);
    const targets = await concurrentWriterRounds(ws, hosts, foreignHost, rounds);
    counted(targets, rounds);
    const regenerates = await regenerateRounds(ws, first, hosts.one, foreignHost, rounds);
    counted(regenerates, rounds);
    report.push(
      `writers: docker login read config.json before Berth's write began and wrote it after in ${targets.overlapped} of ${rounds} target rounds and ${regenerates.overlapped} of ${rounds} regenerate rounds`,
    );
    for (const [what, done] of [['target', targets], ['regenerate', regenerates]] as const) {
      if (done.overlapped === 0) fail(into, `docker login never wrote across a Berth write in the ${what} rounds: they tested nothing`);
    }
    counted(await statusWriterRounds(ws, rounds), rounds);
    for (const done of await loops) counted(done, 1);
  } finally {
    await Promise.all([first.stop(), second.stop(), foreign.stop()]);
  }
}
