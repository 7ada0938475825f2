import { writeSync } from 'node:fs';
import { checkImage } from '../api/check.js';
import { dockerSourceFor } from '../credentials/docker-credentials.js';
import { findOnPath } from '../credentials/find-on-path.js';
import { BerthError } from '../errors.js';
import { openBerthHome } from '../api/node-home.js';
import { terminalText } from '../log/printable.js';
import { cachedAccessToken } from '../stackit/cached-token.js';
import { checkReport } from './check-report.js';
import { endProcess } from './end-process.js';
import { failureLine } from './failure-line.js';
import type { QuickStart } from './quick-start.js';

/**
 * `berth`, started as CommonJS: `berth check <image> [--insecure] [--json]`, which scripts run before every pull, is
 * answered here with only what a check loads, and so is a check that fails with Berth's own error (a locked keychain);
 * every other command, and any check this start cannot finish alone (help, a flag it does not know, an interrupted
 * regenerate, a STACKIT token to mint, a credential helper other than Berth's to ask, a usage error to explain), goes to
 * the full CLI as a whole.
 */
class NeedsFullCli extends Error {}

const needsFull = async (): Promise<never> => {
  throw new NeedsFullCli();
};

/** The plain check: one image, reference or name, and no flag but `--insecure` and `--json`. */
function plainCheck(argv: string[]): { input: string; insecure: boolean; json: boolean } | undefined {
  const [command, ...rest] = argv;
  const positionals = rest.filter((arg) => !arg.startsWith('-'));
  const flags = rest.filter((arg) => arg.startsWith('-'));
  const [input] = positionals;
  if (command !== 'check' || positionals.length !== 1 || input === undefined || !flags.every((flag) => flag === '--insecure' || flag === '--json')) return undefined;
  return { input, insecure: flags.includes('--insecure'), json: flags.includes('--json') };
}

let answered = false;

async function quickCheck(check: { input: string; insecure: boolean; json: boolean }): Promise<number> {
  const home = openBerthHome(process.env);
  // The full CLI warns about a config folder others can write to.
  if (home.unsafe) return needsFull();
  const result = await checkImage(
    {
      ...home,
      now: () => new Date(),
      settleJournals: needsFull,
      // A STACKIT token to mint needs the full CLI (and its lock); a cached one is read as the helper reads it.
      currentSecret: async (registry) => (registry.kind === 'stackit' ? ((await cachedAccessToken(registry, home.secrets)) ?? needsFull()) : undefined),
      dockerSource: (host) => dockerSourceFor(host, process.env),
      // Another credential helper is another program to run, as docker would: the full CLI does.
      helperCredential: needsFull,
      onPath: (program) => findOnPath(program, process.env) !== undefined,
      note: (registry, kind, text) => home.activity.add({ at: new Date().toISOString(), registry, kind, text }),
    },
    check.input,
    { insecure: check.insecure },
  );
  const report = checkReport(result, check.json);
  answered = true;
  // Written straight to the descriptor: process.stdout would load Node's streams for a few lines.
  writeSync(report.stream === 'stdout' ? 1 : 2, terminalText(report.text));
  return report.code;
}

/** Runs `berth`: a plain check here (its compiled code kept for the next), anything else in the full CLI, which runs the command itself. */
export const start: QuickStart['start'] = ({ full, keep }) => {
  const check = plainCheck(process.argv.slice(2));
  (check ? quickCheck(check) : needsFull()).then(
    (code) => {
      keep();
      endProcess(code);
    },
    async (error: unknown) => {
      // The answer could not be written (a closed pipe): there is nothing left to tell.
      if (answered) return endProcess(1);
      // Told here as the full CLI tells it: checking again there would wait out a silent keychain a second time.
      if (error instanceof BerthError && error.code !== 'usage') {
        try {
          writeSync(2, terminalText(failureLine('check', error)));
        } finally {
          endProcess(1);
        }
      }
      await ((await full()) as typeof import('./berth-main.js')).main();
    },
  );
};
