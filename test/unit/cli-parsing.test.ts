import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shellWords } from '../../main/cli/shell-words.js';
import { runCli, type CliIo } from '../../main/cli/berth.js';
import { BerthError } from '../../main/errors.js';

test('shellWords splits like a POSIX shell', () => {
  assert.deepEqual(shellWords('firefox --new-window'), ['firefox', '--new-window']);
  assert.deepEqual(shellWords(`  "/opt/My Browser/bin" --profile 'a b'  c\\ d `), ['/opt/My Browser/bin', '--profile', 'a b', 'c d']);
  assert.deepEqual(shellWords(`say "it's \\"quoted\\""`), ['say', `it's "quoted"`]);
  assert.deepEqual(shellWords(`empty '' ""`), ['empty', '', '']);
  assert.deepEqual(shellWords(''), []);
  assert.throws(() => shellWords(`open 'unterminated`), BerthError);
});

function io(): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    env: {},
    stdout: (text: string) => (captured.out += text),
    stderr: (text: string) => (captured.err += text),
    createApi: () => {
      throw new Error('usage errors must not open the settings');
    },
    untilInterrupted: () => Promise.resolve(),
    readStdin: () => Promise.resolve(''),
  };
  return captured;
}

test('usage errors exit 64 with the command’s usage and never touch settings', async () => {
  for (const argv of [[], ['frobnicate'], ['add'], ['add', 'quay', 'x'], ['add', 'harbor', 'x'], ['login'], ['login', 'a', 'b'], ['status', 'a', 'b'], ['login', 'x', '--timeout', 'soon'], ['add', 'harbor', 'x', '--url', 'u', '--issuer', 'i', '--client-id', 'c', '--auth-param', 'novalue'],
    ['add', 'harbor', 'x', '--url', 'u', '--issuer', 'i', '--client-id', 'c', '--keep-alive-hours', '-1'],
    ['refresh', 'a', 'b'],
    ['regenerate'],
    ['regenerate', 'x'],
    ['keepalive', 'x'],
    ['check'],
    ['target', 'x'],
    ['target', 'x', 'keychain'],
    ['add', 'harbor', '--url', 'harbor.example.org'],
    ['add', 'harbor', 'x', '--url', 'harbor.example.org', '--issuer', 'https://sso.example.org'],
    ['add', 'harbor', 'x', '--url', 'harbor.example.org', '--scope', 'openid'],
    ['add', 'harbor', 'x', '--profile', '/nonexistent/profile.json'],
    ['set'],
    ['set', 'x', 'y'],
    ['set', 'x', '--keep-alive-hours', '-1'],
    ['set', 'x', '--warn-days', 'soon'],
  ]) {
    const captured = io();
    assert.equal(await runCli(argv, captured), 64, argv.join(' '));
    assert.equal(captured.out === '' || argv.length === 0, true, 'no data on stdout for a usage error');
  }
});

test('--help and --version answer on stdout', async () => {
  const help = io();
  assert.equal(await runCli(['--help'], help), 0);
  assert.match(help.out, /login +sign in and write docker credentials/);
  const loginHelp = io();
  assert.equal(await runCli(['login', '--help'], loginHelp), 0);
  assert.match(loginHelp.out, /--browser-command.*--secret-stdin|--secret-stdin.*--browser-command/);
  const version = io();
  assert.equal(await runCli(['--version'], version), 0);
  assert.match(version.out, /^\d+\.\d+\.\d+\n$/);
});

test('every command has --help, and every command whose output is data has --json', async () => {
  const overview = io();
  await runCli(['--help'], overview);
  const names = [...overview.out.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((match) => match[1] as string);
  assert.deepEqual(names, ['add', 'set', 'login', 'status', 'list', 'refresh', 'regenerate', 'keepalive', 'check', 'target', 'logout', 'remove', 'replace', 'config', 'doctor']);
  for (const kind of ['token', 'stackit']) {
    const captured = io();
    assert.equal(await runCli(['add', kind, '--help'], captured), 0, kind);
    assert.match(captured.out, new RegExp(`^Usage: berth add ${kind} <name> --url`), kind);
  }
  for (const name of names) {
    const captured = io();
    assert.equal(await runCli([name, '--help'], captured), 0, name);
    assert.match(captured.out, new RegExp(`^Usage: berth ${name} `), name);
    assert.match(captured.out, /--json/, `${name} has --json`);
  }
});

test('--json says what it prints: an array for commands that can cover several registries, one object (named) for the others', async () => {
  for (const name of ['status', 'list', 'refresh']) {
    const captured = io();
    await runCli([name, '--help'], captured);
    assert.match(captured.out, /--json +print a JSON array on stdout \(one object per registry, \[\] when there are none\)/, name);
  }
  for (const name of ['add', 'set', 'login', 'regenerate', 'check', 'target', 'logout', 'remove', 'config', 'doctor']) {
    const captured = io();
    await runCli([name, '--help'], captured);
    assert.match(captured.out, /--json +print one JSON object on stdout, for scripts: \S/, name);
  }
  const keepalive = io();
  await runCli(['keepalive', '--help'], keepalive);
  assert.match(keepalive.out, /--json +print a JSON object per line instead of text \(NDJSON\)/);
});

test('each command\'s --help describes every flag of its usage line in a line of its own, and shows an example', async () => {
  const overview = io();
  await runCli(['--help'], overview);
  const names = [...overview.out.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((match) => match[1] as string);
  for (const name of names) {
    const captured = io();
    await runCli([name, '--help'], captured);
    const [usage = '', ...rest] = captured.out.split('\n');
    const text = rest.join('\n');
    const options = /\nOptions:\n((?: {2}.*\n)+)/.exec(text)?.[1] ?? '';
    const flags = new Set([...usage.matchAll(/--([a-z][a-z-]*)/g)].map((match) => match[1] as string));
    assert.ok(flags.size > 0, `${name}: its usage line names its flags`);
    for (const flag of [...flags, 'help']) {
      const row = options.split('\n').find((line) => new RegExp(`--${flag}\\b`).test(line));
      assert.ok(row, `${name} --help has a line for --${flag}`);
      const description = row.replace(/^\s*(-\w, )?--[a-z-]+( \S+)?\s{2,}/, '');
      assert.ok(description.split(/\s+/).length >= 3 && description !== row, `${name} --${flag} is described in words: "${row}"`);
    }
    const examples = /\nExamples:\n((?: {2}.*\n?)+)/.exec(text)?.[1] ?? '';
    assert.match(examples, new RegExp(`^ {2}(.*\\| )?berth ${name}\\b`, 'm'), `${name} --help shows an example`);
  }
});

test('regenerate asks on a terminal, explains what breaks, and changes nothing when declined', async () => {
  const captured = io();
  let asked = '';
  captured.confirm = async (question) => {
    asked = question;
    return false;
  };
  assert.equal(await runCli(['regenerate', 'work'], captured), 1);
  assert.match(asked, /Regenerate the CLI secret of work\? The old secret stops working at once everywhere it is used/);
  assert.match(captured.err, /Nothing changed/);
});

test('an error whose code is not a string (a DOMException\'s is a number) is reported, not a crash of the error handler', async () => {
  const captured = io();
  captured.createApi = () => ({ settleJournals: async () => undefined, status: () => { throw new DOMException('The operation was aborted.', 'AbortError'); } }) as never;
  assert.equal(await runCli(['status'], captured), 1);
  assert.match(captured.err, /berth status: The operation was aborted\./);
});

test('an unknown flag, a flag without its value and a value on a switch get Berth\'s words and the command\'s help, not the parser\'s', async () => {
  const cases: [string[], RegExp][] = [
    [['add', 'harbor', 'work', '--bogus'], /^berth add: unknown option --bogus; see `berth add --help`\.\n/],
    [['add', 'harbor', 'work', '--url'], /^berth add: --url needs a value; see `berth add --help`\.\n/],
    [['status', '--json=yes'], /^berth status: --json takes no value; see `berth status --help`\.\n/],
  ];
  for (const [argv, message] of cases) {
    const captured = io();
    assert.equal(await runCli(argv, captured), 64, argv.join(' '));
    assert.match(captured.err, message);
    assert.doesNotMatch(captured.err, /positional argument|<value>/, 'none of the parser’s own words');
  }
});
