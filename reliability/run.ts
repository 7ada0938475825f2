import { hostileCallbacks, hostileServers, hostileServerTries } from './hostile.js';
import { kills } from './kills.js';
import { load, loadRegistries } from './load.js';
import { localState, localStateTries } from './local-state.js';
import { regenerateWindow } from './regenerate-window.js';
import { writers, writerTries } from './writers.js';
import { measured, table, verdict, type Row } from './row.js';

// The full suite, or (--reduced, as CI runs it) about a tenth of the tries.
const reduced = process.argv.includes('--reduced');
const scaled = (full: number) => (reduced ? Math.max(5, Math.round(full / 10)) : full);
// As in the tests: in CI a case this machine cannot run fails the run instead of being skipped.
const strict = process.env.BERTH_TEST_STRICT === '1' || process.env.CI === 'true';

// `--only=<words>` runs the rows whose name contains them (while working on one row); the table then says so.
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);

const rows: Row[] = [];
const report: string[] = [];
const started = Date.now();
const killCount = scaled(1000);
const plan: [string, number, (into: Row) => Promise<void>][] = [
  ['SIGKILL at random moments of every writing command', killCount, (into) => kills(into, report, killCount)],
  ['regenerate killed 0-40 ms after Harbor took the secret', scaled(80), (into) => regenerateWindow(into, scaled(80))],
  ['concurrent writers: 2 berth x docker login; regenerate x docker login; 2 status.json writers; 2 writers of one record', writerTries(scaled(100)), (into) => writers(into, report, scaled(100))],
  ['hostile callbacks during sign-in', scaled(50), (into) => hostileCallbacks(into, scaled(50))],
  ['hostile servers (huge, endless, slow, wrong-shape, realms, redirects)', hostileServerTries, hostileServers],
  ['bad local state (locked or silent keychain, full disk, read-only folders)', localStateTries, localState],
  [`${loadRegistries} registries kept alive every 60 s`, loadRegistries + 2, (into) => load(into, report, reduced ? 75 : 130)],
];
for (const [test, wanted, work] of plan) {
  if (only === undefined || test.includes(only)) rows.push(await measured(test, wanted, work));
  else report.push(`${test}: skipped (--only=${only}), so this run is not a whole run`);
}
console.log(table(rows));
for (const line of report) console.log(line);
for (const done of rows) console.log(`${done.test}: ${Math.round(done.ms / 1000)} s`);
// What went wrong, up to 20 lines a row (each row's count is in the table).
for (const done of rows) for (const detail of done.details.slice(0, 20)) console.log(`${done.test}: ${detail}`);
const problems = verdict(rows, strict);
for (const problem of problems) console.log(`FAILED: ${problem}`);
if (!strict) for (const line of rows.flatMap((done) => done.notRun.map((what) => `${done.test}: not run: ${what}`))) console.log(`warning: ${line} (a failure in strict mode)`);
console.log(`${reduced ? 'reduced' : 'full'} run, ${Math.round((Date.now() - started) / 1000)} s${strict ? ', strict' : ''}`);
process.exitCode = problems.length > 0 || only !== undefined ? 1 : 0;
