import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNodeApi } from '../main/api/node.js';
import { CookieJar, drive } from '../test/rig/browser-driver.js';
import { startRig } from '../test/rig/index.js';
import { berthBin, workspace, type Workspace } from '../test/helpers/berth.js';
import { median } from '../bench/stats.js';
import { fail, lose, type Row } from './row.js';

const intervalSeconds = 60;
export const loadRegistries = 200;
// How late a pass may start after its planned time: a sixth of the interval, above the bunching of "all due at once", far below falling behind.
const lateBoundSeconds = 10;
// The burst that Ctrl-C interrupts must be under way by then, or the keep-alive is stuck.
const burstStartMs = 60_000;

interface Pass {
  name: string;
  state: string;
  ms: number;
  at: string;
  nextAt: string;
}

/** Every registry due at once: what the machine finds after a night asleep. */
function allDue(ws: Workspace): void {
  const path = join(ws.berthHome, 'status.json');
  const status = JSON.parse(readFileSync(path, 'utf8')) as { registries: Record<string, Record<string, unknown>> };
  for (const record of Object.values(status.registries)) {
    delete record.lastKeptAliveAt;
    delete record.nextKeepAliveAt;
  }
  writeFileSync(path, JSON.stringify(status));
}

function keepalive(ws: Workspace) {
  const child = spawn(process.execPath, [berthBin, 'keepalive', '--json'], { env: ws.env, stdio: ['ignore', 'pipe', 'ignore'] });
  const passes: Pass[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) passes.push(JSON.parse(line) as Pass);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cpuSeconds = () => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  return { child, passes, exited, cpuSeconds };
}

/** 200 registries kept alive every 60 s by one `berth keepalive`: it must keep up (3.33 passes/s), start passes on time, and stop within 2 s of Ctrl-C, on loopback and against a slow Harbor. */
export async function load(into: Row, report: string[], runSeconds: number): Promise<void> {
  const registries = loadRegistries;
  const rig = await startRig();
  try {
    const jar = await rig.webLogin('alice');
    const urls = [rig.harbor.url, ...(await rig.harbor.listenAlso(registries - 1))];
    const ws = workspace();
    const api = createNodeApi(ws.env);
    const signingIn = Date.now();
    for (const [i, url] of urls.entries()) {
      const name = `r${i}`;
      await api.addRegistry({ name, url, clientId: rig.berthClientId, keepAliveHours: intervalSeconds / 3600, warnDays: 0 });
      await api.signIn(name, { openBrowser: async (at) => void drive(at, { login: 'alice', jar: jar as CookieJar }) });
    }
    report.push(`load: ${registries} registries signed in in ${((Date.now() - signingIn) / 1000).toFixed(0)} s`);

    // Steady state: all due at once, then as their interval comes round again.
    allDue(ws);
    const steady = keepalive(ws);
    const started = Date.now();
    while (steady.passes.length < registries && Date.now() - started < runSeconds * 1000) await sleep(100);
    const firstRound = (Date.now() - started) / 1000;
    await sleep(Math.max(0, runSeconds * 1000 - (Date.now() - started)));
    const cpu = steady.cpuSeconds();
    const seconds = (Date.now() - started) / 1000;
    steady.child.kill('SIGINT');
    await steady.exited;
    const passes = steady.passes;
    into.tries = passes.length;
    for (const pass of passes.filter((done) => done.state !== 'valid')) fail(into, `a pass of ${pass.name} ended ${pass.state}`);
    const kept = new Set(passes.map((pass) => pass.name));
    if (kept.size < registries) lose(into, `${registries - kept.size} registries were never kept alive`);
    // How late each pass started against the time the one before it planned.
    const lateness: number[] = [];
    const planned = new Map<string, number>();
    for (const pass of passes) {
      const due = planned.get(pass.name);
      if (due !== undefined) lateness.push(Date.parse(pass.at) - due);
      planned.set(pass.name, Date.parse(pass.nextAt));
    }
    const rate = registries / firstRound;
    if (rate < registries / intervalSeconds) fail(into, `the first round ran at ${rate.toFixed(2)} passes/s, below the ${(registries / intervalSeconds).toFixed(2)} needed`);
    const latest = lateness.length ? Math.max(...lateness) / 1000 : 0;
    if (lateness.length === 0) fail(into, `no registry came round a second time within ${runSeconds} s`);
    if (latest > lateBoundSeconds) fail(into, `a pass started ${latest.toFixed(1)} s after its planned time (bound: ${lateBoundSeconds} s)`);
    report.push(
      `load: all ${registries} due at once: the round took ${firstRound.toFixed(1)} s (${rate.toFixed(2)} passes/s; ${(registries / intervalSeconds).toFixed(2)} needed)`,
      `load: ${passes.length} passes in ${seconds.toFixed(0)} s (${(passes.length / seconds).toFixed(2)} passes/s), median pass ${median(passes.map((pass) => pass.ms)).toFixed(0)} ms, ` +
        `latest start after its planned time ${latest.toFixed(1)} s (bound: ${lateBoundSeconds} s), CPU ${((cpu / seconds) * 100).toFixed(0)} % of a core`,
    );

    // Ctrl-C in the middle of a burst.
    allDue(ws);
    const burst = keepalive(ws);
    const burstStarted = Date.now();
    while (burst.passes.length < 20 && Date.now() - burstStarted < burstStartMs) await sleep(50);
    if (burst.passes.length < 20) fail(into, `only ${burst.passes.length} passes of the burst ran within ${burstStartMs / 1000} s`);
    const interrupted = Date.now();
    burst.child.kill('SIGINT');
    await burst.exited;
    const stopMs = Date.now() - interrupted;
    into.tries += 1;
    if (stopMs > 2000) fail(into, `Ctrl-C took ${stopMs} ms to stop keepalive`);
    report.push(`load: Ctrl-C during a burst of ${registries} due passes: stopped in ${stopMs} ms (aim: under 2000 ms)`);

    // Ctrl-C while Harbor answers slowly, as a server far away does: the passes in flight are stopped, not waited for.
    allDue(ws);
    const delayMs = 10_000;
    rig.harbor.responseDelayMs = delayMs;
    try {
      const slow = keepalive(ws);
      const asked = rig.harbor.requestLog.length;
      const slowStarted = Date.now();
      while (rig.harbor.requestLog.length < asked + 8 && Date.now() - slowStarted < burstStartMs) await sleep(50);
      const inFlight = rig.harbor.requestLog.length - asked;
      if (inFlight < 8) fail(into, `only ${inFlight} requests reached the slow Harbor within ${burstStartMs / 1000} s`);
      const slowInterrupted = Date.now();
      slow.child.kill('SIGINT');
      await slow.exited;
      const slowStopMs = Date.now() - slowInterrupted;
      into.tries += 1;
      if (slowStopMs > 2000) fail(into, `Ctrl-C took ${slowStopMs} ms to stop keepalive while Harbor answered slowly`);
      report.push(`load: Ctrl-C while Harbor took ${delayMs / 1000} s per answer, ${inFlight} requests in flight: stopped in ${slowStopMs} ms (aim: under 2000 ms)`);
    } finally {
      rig.harbor.responseDelayMs = 0;
    }
  } finally {
    await rig.stop();
  }
}
