import { appendFileSync, existsSync } from 'node:fs';
import { withFileLock } from '../../main/credentials/file-lock.js';

// file-lock-holder.js <lock file> <journal file> <hold ms> [<go file>]: takes a file's lock as Berth's read-modify-writes do
// (once the go file exists, if one is named) and notes when it held it.
const [lock = '', journal = '', hold = '0', go] = process.argv.slice(2);
if (go) while (!existsSync(go)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
withFileLock(lock, () => {
  appendFileSync(journal, `start ${process.pid}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(hold));
  appendFileSync(journal, `end ${process.pid}\n`);
});
