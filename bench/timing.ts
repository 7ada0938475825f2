import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface Contender {
  label: string;
  program: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  stdin?: string;
  /** Exit status the run must end with; anything else is a broken benchmark, not a slow one. */
  expectCode?: number;
}

/** Wall-clock time of one run, from spawn to exit, as a shell or docker sees it. */
export function timeOnce(contender: Contender): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(contender.program, contender.args, { env: contender.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - started;
      if (code !== (contender.expectCode ?? 0)) reject(new Error(`${contender.label} exited with ${code}: ${output.slice(0, 400)}`));
      else resolve(ms);
    });
    child.stdin.end(contender.stdin ?? '');
  });
}

/** `runs` timings of each contender, taken in turns so that drift in the machine's load hits all of them alike. */
export async function timeInTurns(contenders: Contender[], runs: number): Promise<Map<string, number[]>> {
  const samples = new Map(contenders.map((contender) => [contender.label, [] as number[]]));
  for (const contender of contenders) await timeOnce(contender);
  for (let i = 0; i < runs; i++) {
    for (const contender of contenders) samples.get(contender.label)?.push(await timeOnce(contender));
  }
  return samples;
}
