import { hostileCallbacks, hostileServers } from './hostile.js';
import { kills } from './kills.js';
import { load } from './load.js';
import { localState } from './local-state.js';
import { regenerateWindow } from './regenerate-window.js';
import { writers } from './writers.js';
import { table, type Row } from './row.js';

// The full suite, or (--reduced, as CI runs it) about a tenth of the tries.
const reduced = process.argv.includes('--reduced');
const scaled = (full: number) => (reduced ? Math.max(5, Math.round(full / 10)) : full);

const rows: Row[] = [];
const started = Date.now();
rows.push(await kills(scaled(1000)));
rows.push(await regenerateWindow(scaled(80)));
rows.push(await writers(scaled(100)));
rows.push(await hostileCallbacks(scaled(50)));
rows.push(await hostileServers());
rows.push(await localState());
const loaded = await load(200, reduced ? 75 : 130);
rows.push(loaded.row);
console.log(table(rows));
for (const line of loaded.report) console.log(line);
for (const line of rows.flatMap((done) => done.details.map((detail) => `${done.test}: ${detail}`)).slice(0, 50)) console.log(line);
console.log(`${reduced ? 'reduced' : 'full'} run, ${Math.round((Date.now() - started) / 1000)} s`);
process.exitCode = rows.some((done) => done.failures > 0 || done.lost > 0) ? 1 : 0;
