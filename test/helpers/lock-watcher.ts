import { existsSync, readFileSync } from 'node:fs';

// lock-watcher.js <lock file> <stop file>: reads the lock file as fast as it can until the stop file exists, and prints how
// often it found the lock there but empty (a waiter reading it then would take it for abandoned).
const [lock = '', stop = ''] = process.argv.slice(2);
let empty = 0;
let seen = 0;
while (!existsSync(stop)) {
  try {
    const text = readFileSync(lock, 'utf8');
    seen += 1;
    if (text === '') empty += 1;
  } catch {
    // Not there right now.
  }
}
process.stdout.write(`${empty} ${seen}\n`);
