import { startRig } from '../test/rig/index.js';
import { workspace } from '../test/helpers/berth.js';
import { anyLoginRegistry, concurrentWriterRounds, twoSignedIn } from '../test/helpers/writers.js';
import { lose, row, type Row } from './row.js';

/** Two `berth target`s and the real `docker login` at once, each round followed by a refresh. */
export async function writers(rounds: number): Promise<Row> {
  const into = row('Berth x Berth x the real docker login, concurrently');
  const [first, second, foreign] = await Promise.all([startRig(), startRig(), anyLoginRegistry()]);
  try {
    await Promise.all([first.webLogin('alice'), second.webLogin('bob')]);
    const ws = workspace();
    await twoSignedIn(ws, first, second);
    const lost = await concurrentWriterRounds(ws, { one: new URL(first.harbor.url).host, two: new URL(second.harbor.url).host }, new URL(foreign.url).host, rounds);
    into.tries = rounds;
    for (const what of lost) lose(into, what);
  } finally {
    await Promise.all([first.stop(), second.stop(), foreign.stop()]);
  }
  return into;
}
