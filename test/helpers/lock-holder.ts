import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryLocks } from '../../main/keepalive/registry-lock.js';

// lock-holder.js <lock dir> <registry> <hold ms | "forever"> [<journal file>]: takes the lock like a Berth process would.
const [dir = '', registry = '', hold = '0', journal] = process.argv.slice(2);
const release = await new RegistryLocks(dir).acquire(registry);
if (journal) appendFileSync(journal, `start ${process.pid}\n`);
process.stdout.write('held\n');
if (hold === 'forever') await new Promise(() => setInterval(() => undefined, 1 << 30));
await sleep(Number(hold));
if (journal) appendFileSync(journal, `end ${process.pid}\n`);
await release();
