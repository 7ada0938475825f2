// Loaded into every test file's process by `npm run mutation` (stryker.config.mjs), for two things Stryker cannot know:
// - the berth CLI, the credential helper and the lock holders a test starts run the mutated code too: their coverage is
//   added to the test file's, or Stryker would think no test reaches that code and never try its mutants;
// - Stryker ends a test file's process at its first failure, before the file stops its rig: whatever that process started
//   (registry, browser driver, CLI) is ended with it.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Hits = Record<string, number>;
interface StrykerGlobal {
  mutantCoverage?: { static: Hits; perTest: Record<string, Hits> };
}

const folderVariable = 'BERTH_MUTATION_COVERAGE';

function stryker(): StrykerGlobal | undefined {
  return (globalThis as unknown as Record<string, StrykerGlobal | undefined>)[process.env.STRYKER_NAMESPACE ?? '__stryker__'];
}

/** The processes below `root`, read from /proc (mutation runs are Linux-only). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (command) state ppid ...": the command may hold spaces and parentheses.
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while the list was read.
    }
  }
  const found: number[] = [];
  const below = (pid: number) => {
    for (const [child, parent] of parentOf) {
      if (parent === pid) {
        found.push(child);
        below(child);
      }
    }
  };
  below(root);
  return found;
}

const folder = process.env[folderVariable];
if (folder === undefined) {
  const own = mkdtempSync(join(tmpdir(), 'berth-mutation-'));
  process.env[folderVariable] = own;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${import.meta.url}`.trim();
  // Before Stryker's own exit handler, which writes this process's coverage for the runner to read.
  process.prependListener('exit', () => {
    for (const pid of descendants(process.pid)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    const namespace = stryker();
    if (namespace && process.env.STRYKER_DRY_RUN === 'true') {
      // A test that runs the code only in its children (an e2e test of the CLI) has no coverage of its own yet.
      const coverage = (namespace.mutantCoverage ??= { static: {}, perTest: {} });
      for (const file of readdirSync(own)) {
        for (const [mutant, count] of Object.entries(JSON.parse(readFileSync(join(own, file), 'utf8')) as Hits)) {
          coverage.static[mutant] = (coverage.static[mutant] ?? 0) + count;
        }
      }
    }
    rmSync(own, { recursive: true, force: true });
  });
} else {
  process.on('exit', () => {
    const hits = stryker()?.mutantCoverage?.static;
    if (hits) writeFileSync(join(folder, `${process.pid}.json`), JSON.stringify(hits));
  });
}
