import { appendFileSync, existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryLocks } from '../../main/keepalive/registry-lock.js';

// lock-holder.js <lock dir> <registry> <hold ms | "forever"> [<journal file> [<go file>]]: takes the lock like a Berth process
// would; with a go file, only once that file exists, so several holders start at the same moment.
const [dir = '', registry = '', hold = '0', journal, go] = process.argv.slice(2);
if (go) while (!existsSync(go)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
const release = await new RegistryLocks(dir).acquire(registry);
if (journal) appendFileSync(journal, `start ${process.pid}\n`);
process.stdout.write('held\n');
if (hold === 'forever') await new Promise(() => setInterval(() => undefined, 1 << 30));
await sleep(Number(hold));
if (journal) appendFileSync(journal, `end ${process.pid}\n`);
await release();
