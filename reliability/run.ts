import { hostileCallbacks, hostileServers } from './hostile.js';
import { kills } from './kills.js';
import { load, loadRegistries } from './load.js';
import { localState } from './local-state.js';
import { regenerateWindow } from './regenerate-window.js';
import { writers } from './writers.js';
import { measured, table, type Row } from './row.js';

// The full suite, or (--reduced, as CI runs it) about a tenth of the tries.
const reduced = process.argv.includes('--reduced');
const scaled = (full: number) => (reduced ? Math.max(5, Math.round(full / 10)) : full);

const rows: Row[] = [];
const report: string[] = [];
const started = Date.now();
rows.push(await measured('SIGKILL at random moments of every writing command', (into) => kills(into, scaled(1000))));
rows.push(await measured('regenerate killed 0-40 ms after Harbor took the secret', (into) => regenerateWindow(into, scaled(80))));
rows.push(await measured('concurrent writers: 2 berth x docker login; regenerate x docker login; 2 status.json writers', (into) => writers(into, scaled(100))));
rows.push(await measured('hostile callbacks during sign-in', (into) => hostileCallbacks(into, scaled(50))));
rows.push(await measured('hostile servers (huge, endless, slow, wrong-shape, realms, redirects)', hostileServers));
rows.push(await measured('bad local state (locked keychain, silent D-Bus, full disk, read-only)', localState));
rows.push(await measured(`${loadRegistries} registries kept alive every 60 s`, (into) => load(into, report, reduced ? 75 : 130)));
console.log(table(rows));
for (const line of report) console.log(line);
for (const line of rows.flatMap((done) => done.details.map((detail) => `${done.test}: ${detail}`)).slice(0, 50)) console.log(line);
console.log(`${reduced ? 'reduced' : 'full'} run, ${Math.round((Date.now() - started) / 1000)} s`);
process.exitCode = rows.some((done) => done.failures > 0 || done.lost > 0) ? 1 : 0;
