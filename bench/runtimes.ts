import { execFileSync } from 'node:child_process';

/** A Node the CLI is timed on. */
export interface Runtime {
  label: string;
  node: string;
}

function version(node: string): string {
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
}

/**
 * Node 22 first (the packaged CLI runs on Electron 45's Node 22, which has the compile cache), from the npm registry when
 * this Node is another version; then this machine's Node (Node 20 here), for comparison.
 */
export function runtimes(): Runtime[] {
  const own = version(process.execPath).startsWith('v22.');
  const node22 = own ? process.execPath : process.env.BERTH_TEST_NODE22 || execFileSync('npx', ['-y', '-p', 'node@22', 'node', '-p', 'process.execPath'], { encoding: 'utf8' }).trim();
  return [node22, ...(own ? [] : [process.execPath])].map((node) => ({ label: `Node ${version(node)}`, node }));
}

/** A ratio against its aim, and whether it was met, in one line. */
export function aimLine(what: string, ratio: number, aim: number): string {
  return `${what} ${ratio.toFixed(2)}× (aim ≤ ${aim}×): ${ratio <= aim ? 'met' : 'NOT met'}`;
}
