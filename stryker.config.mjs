// `npm run mutation` (test/mutation/run.sh): StrykerJS on a chosen core, one run per part, each against that part's own
// tests; a mutant is tried only with the test files whose processes reached it. Not part of `npm test`.
const parts = {
  credentials: {
    mutate: ['main/credentials/**/*.ts'],
    tests: ['unit/shadowing-auth-files', 'unit/registry-auth', 'integration/file-updates', 'integration/docker-config', 'e2e/creds-store', 'e2e/docker-login'],
  },
  'registry-lock': {
    mutate: ['main/keepalive/registry-lock.ts'],
    tests: ['integration/registry-lock'],
  },
  // The schedule of passes, and the pass of Berth's OIDC method (keepRotatedToken, currentRefreshToken, refreshBerthSession, keepAlive).
  'keep-alive': {
    mutate: ['main/keepalive/scheduler.ts', 'main/providers/harbor-oidc.ts:204-284'],
    tests: ['unit/keepalive-scheduler', 'unit/rotated-token', 'e2e/keepalive-faults'],
  },
  // Harbor's token service as keep-alive and sign-in use it: accepted, rejected, or not an answer (5xx, network).
  'token-service': {
    mutate: ['main/registry/token-auth.ts', 'main/providers/harbor-cli-secret.ts'],
    tests: ['unit/registry-auth', 'e2e/keepalive-faults', 'e2e/harbor-behaviours'],
  },
  // The verdicts of `berth check` (the hostile registries' caps are the reliability suite's to break).
  'pull-check': {
    mutate: ['main/registry/pull-check.ts'],
    tests: ['e2e/check'],
  },
};

const name = process.env.BERTH_MUTATION_PART ?? '';
const part = parts[name];
if (!part) throw new Error(`BERTH_MUTATION_PART must be one of: ${Object.keys(parts).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  mutate: part.mutate,
  // Message wording is asserted where it matters, by pattern; mutating every string would add a third more mutants.
  mutator: { excludedMutations: ['StringLiteral'] },
  // All mutants go into one build; the mutated files skip type checks so that a mutant which breaks a type still compiles.
  // The CLI bundles too: the berth and helper processes a test starts run dist/cli, not dist/main.
  // Stryker runs it without a shell, so the two steps are one npm script.
  buildCommand: 'npm run build:mutation',
  disableTypeChecks: 'main/**/*.ts',
  tap: {
    testFiles: part.tests.map((test) => `dist/test/${test}.test.js`),
    nodeArgs: ['--import', './dist/test/mutation/test-process.js', '-r', '{{hookFile}}', '--test-reporter=tap', '--test-timeout=300000'],
  },
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 30_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: false },
  tempDirName: '.stryker-tmp',
};
