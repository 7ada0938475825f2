import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot, run } from '../helpers/berth.js';

const reporter = join(projectRoot, 'dist', 'test', 'not-run-reporter.js');

/** node:test on a test file of these lines, with only the not-run reporter; its output. */
async function summary(lines: string[], ...options: string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-reporter-'));
  const file = join(dir, 'sample.test.mjs');
  writeFileSync(file, ["import { describe, test } from 'node:test';", ...lines].join('\n'));
  // A run of its own: with NODE_TEST_CONTEXT from this one, it would report to this runner instead of its reporters.
  const { NODE_TEST_CONTEXT: _parent, ...env } = process.env;
  const result = await run(process.execPath, ['--test', `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', ...options, file], env);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

test('a suite skipped at the describe level is counted and named in the summary with its reason, as are single tests', async () => {
  const output = await summary([
    "describe('the app in real Electron', { skip: 'not run: no Electron binary' }, () => { test('the window loads', () => {}); test('a second launch', () => {}); });",
    "describe('the CLI', () => { test('prints its version', () => {}); test('in a terminal', { skip: 'not run: no tmux' }, () => {}); });",
    "describe('the rig', { skip: 'missing test components: docker-registry' }, () => { test('pulls', () => {}); });",
  ]);
  assert.equal(
    output,
    [
      '# 2 suites not run:',
      '#   the app in real Electron (not run: no Electron binary)',
      '#   the rig (missing test components: docker-registry)',
      '# 1 test not run:',
      '#   in a terminal (not run: no tmux)',
      '',
    ].join('\n'),
  );
});

test('a run where everything ran says so, and a name filter is not a missing component', async () => {
  assert.equal(await summary(["describe('the CLI', () => { test('prints its version', () => {}); });"]), '# not run: nothing (every suite and test ran)\n');
  const filtered = await summary(["describe('the CLI', () => { test('prints its version', () => {}); test('lists', () => {}); });"], '--test-name-pattern=version');
  assert.equal(filtered, '# not run: nothing (every suite and test ran)\n');
});
