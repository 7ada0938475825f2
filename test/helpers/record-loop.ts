import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodeApi } from '../../main/api/node.js';
import type { Clock } from '../../main/keepalive/clock.js';
import { openStores } from '../../main/settings/node-stores.js';
import { configDir } from '../../main/settings/paths.js';

// record-loop.js <registry> <planned|target> <changes>: changes one registry's record through Berth's own code, over and
// over, as a second process does. `target` moves the credential `changes` times as `berth target` does, then leaves a
// file saying it is done; `planned` records the next pass as the keep-alive scheduler does until then. Each prints how
// often it found its own last change undone (by the other process's read-modify-write), and its last change.
const [name = '', what = '', changes = '0'] = process.argv.slice(2);
const home = configDir(process.env);
const done = join(home, 'record-loop.done');
const api = createNodeApi(process.env);
const { settings, status } = openStores(home);
const start = Date.parse('2030-01-01T00:00:00Z');
const stamp = (i: number) => new Date(start + i * 1000).toISOString();
const targets = ['config', 'helper'] as const;
let undone = 0;
let last = '';
for (let i = 1; what === 'planned' ? !existsSync(done) : i <= Number(changes); i++) {
  const record = status.get(name);
  if (what === 'planned') {
    if (i > 1 && record.nextKeepAliveAt !== stamp(i - 1)) undone += 1;
    // A scheduler whose clock says it is `stamp(i)`: syncing plans the registry's pass for now, as at every start.
    const clock: Clock = { now: () => Date.parse(stamp(i)), setTimer: () => undefined, clearTimer: () => undefined };
    api.keepAliveScheduler({ clock }).sync();
    last = stamp(i);
  } else {
    const previous = targets[(i - 1) % 2] as (typeof targets)[number];
    if (i > 1 && (settings.get(name).target !== previous || record.writtenTo !== (previous === 'helper' ? 'helper:berth' : 'config'))) undone += 1;
    last = targets[i % 2] as (typeof targets)[number];
    await api.setTarget(name, last as (typeof targets)[number]);
  }
}
if (what === 'target') writeFileSync(done, '');
process.stdout.write(`${undone} ${last}\n`);
