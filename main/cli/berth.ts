import { readFileSync, watch } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AddHarborInput, BerthApi, RegistryView } from '../api/index.js';
import { BerthError, errorMessage } from '../errors.js';
import { printable } from '../log/printable.js';
import { redact } from '../log/redact.js';
import type { PassReport } from '../keepalive/scheduler.js';
import { checkExitCode } from '../registry/pull-check.js';
import type { SignInMethod } from '../settings/model.js';
import { parseRegistryProfile } from '../settings/profile.js';
import { configDir, configDirProblem, secretsFile } from '../settings/paths.js';
import { commandOpener, systemBrowserOpener } from './browser.js';
import { berthVersion } from './version.js';

export const exitCodes = { ok: 0, failure: 1, usage: 64 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  createApi: (env: NodeJS.ProcessEnv) => BerthApi | Promise<BerthApi>;
  /** Asks a yes/no question on the terminal; absent when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
  /** Asks for a line on the terminal, not echoed when `hidden`; absent when there is no terminal to ask on. */
  prompt?: (question: string, options?: { hidden?: boolean }) => Promise<string>;
  /** Everything on standard input (`--secret-stdin`). */
  readStdin: () => Promise<string>;
  /** Resolves when the user interrupts (Ctrl-C) or the process is asked to stop. */
  untilInterrupted: () => Promise<void>;
}

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: { positionals: string[]; values: Record<string, string | boolean | string[] | undefined> }, io: CliIo): Promise<number>;
}

const help = { type: 'boolean', short: 'h' } as const;

function usageError(message: string): BerthError {
  return new BerthError('usage', message);
}

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw usageError(`Expected exactly one ${what}.`);
  return positionals[0] as string;
}

function parseAuthParams(values: string[] | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of values ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`--auth-param takes key=value, not "${pair}".`);
    params[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return params;
}

function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw usageError(`${flag} takes a positive number, not "${value}".`);
  return number;
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw usageError(`--loopback-port takes a port number (1 to 65535), not "${value}".`);
  return port;
}

function nonNegativeNumber(value: string, flag: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) throw usageError(`${flag} takes 0 or a positive number, not "${value}".`);
  return number;
}

function statusJson(view: RegistryView) {
  const { name, kind, method, registry, target, username, state, idleDeadline, lastKeptAliveAt, nextKeepAliveAt, sessionExpiresAt, sessionFixed, notice, lastError, actionUrl } = view;
  return { name, kind, method, registry, target, username, state, idleDeadline, lastKeptAliveAt, nextKeepAliveAt, sessionExpiresAt, sessionFixed, notice, lastError, actionUrl };
}

const methodWords: Record<SignInMethod, string> = {
  web: "Harbor's web login",
  oidc: "Berth's own OIDC client",
  'docker-login': 'a token from docker login',
};

function describe(view: RegistryView, now = Date.now()): string {
  // A user name kept before names were checked may hold a new line that would forge a line of this listing.
  const lines = [`${view.name}  ${view.registry}  ${view.username === null ? '-' : printable(view.username, 255)}  ${view.state}`, `  signs in with ${methodWords[view.method]}`];
  if (view.idleDeadline) {
    const days = Math.floor((Date.parse(view.idleDeadline) - now) / 86_400_000);
    lines.push(`  idle deadline ${view.idleDeadline} (${days >= 0 ? `${days} days left` : 'passed'})`);
  }
  if (view.lastKeptAliveAt) lines.push(`  last kept alive ${view.lastKeptAliveAt}`);
  if (view.nextKeepAliveAt) lines.push(`  next keep-alive ${view.nextKeepAliveAt}`);
  if (view.sessionExpiresAt) lines.push(`  Berth's session ends ${view.sessionExpiresAt}${view.sessionFixed ? ', keep-alive cannot extend it' : ''}`);
  if (view.notice) lines.push(`  note: ${view.notice}`);
  if (view.lastError) lines.push(`  ${view.lastError}`);
  if (view.actionUrl) lines.push(`  fix: ${view.actionUrl}`);
  return lines.join('\n');
}

function working(view: RegistryView): boolean {
  return view.state === 'valid' || view.state === 'expiring';
}

function passLine(report: PassReport, view: RegistryView | undefined): string {
  const problem = view && !working(view) && view.lastError ? `  ${view.lastError}` : '';
  return `${new Date(report.startedAt).toISOString()}  ${report.name}  ${report.state}  ${report.ms} ms  next ${new Date(report.nextAt).toISOString()}${problem}\n`;
}

function passJson(report: PassReport, view: RegistryView | undefined) {
  return {
    at: new Date(report.startedAt).toISOString(),
    name: report.name,
    state: report.state,
    ms: report.ms,
    nextAt: new Date(report.nextAt).toISOString(),
    lastError: view && !working(view) ? view.lastError : null,
  };
}

/** Data for scripts: indented JSON on stdout, one document per command. */
function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

function printViews(views: RegistryView[], json: boolean, io: CliIo): void {
  if (json) printJson(io, views.map(statusJson));
  else if (views.length === 0) io.stderr('No registries yet. Add one with `berth add harbor <name> --url <your Harbor>`.\n');
  else io.stdout(`${views.map((view) => describe(view)).join('\n')}\n`);
}

const commands: Record<string, Command> = {
  add: {
    summary: 'add a Harbor registry by its URL',
    usage:
      'berth add harbor <name> --url <harbor> [--client-id <id> [--issuer <URL>] [--scope "..."] [--auth-param k=v]... [--loopback-port <port>]] [--profile <file>] [--ca-file <pem>] [--idle-days 30] [--keep-alive-hours 24|0] [--warn-days 3] [--json]',
    options: {
      url: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      scope: { type: 'string' },
      'auth-param': { type: 'string', multiple: true },
      'loopback-port': { type: 'string' },
      profile: { type: 'string' },
      'ca-file': { type: 'string' },
      'idle-days': { type: 'string' },
      'keep-alive-hours': { type: 'string' },
      'warn-days': { type: 'string' },
      json: { type: 'boolean' },
      help,
    },
    async run({ positionals, values }, io) {
      const [kind, named, ...rest] = positionals;
      if (kind !== 'harbor') throw usageError(kind ? `Unknown registry kind "${kind}"; this version knows: harbor.` : 'Name the registry kind: berth add harbor <name> --url <harbor>');
      if (rest.length > 0) throw usageError('Expected one registry name after "harbor".');
      const profilePath = values.profile as string | undefined;
      const profile = profilePath === undefined ? undefined : parseRegistryProfile(readProfile(profilePath), profilePath);
      const name = named ?? profile?.name;
      const url = (values.url as string | undefined) ?? profile?.url;
      if (!name) throw usageError('Name the registry: berth add harbor <name> --url <harbor>');
      if (!url) throw usageError('--url is required: the address of your Harbor (a bare host means https).');
      const issuer = (values.issuer as string | undefined) ?? profile?.issuer;
      const clientId = (values['client-id'] as string | undefined) ?? profile?.clientId;
      const scopes = (values.scope as string | undefined) ?? profile?.scopes;
      const authParams = { ...profile?.authParams, ...parseAuthParams(values['auth-param'] as string[] | undefined) };
      const idleDays = positiveNumber(values['idle-days'] as string | undefined, '--idle-days') ?? profile?.idleDays;
      const loopbackPort = values['loopback-port'] === undefined ? profile?.loopbackPort : portNumber(values['loopback-port'] as string);
      const maxSessionDays = profile?.maxSessionDays;
      if (!clientId && (issuer || scopes || Object.keys(authParams).length > 0 || loopbackPort !== undefined)) {
        throw usageError("--issuer, --scope, --auth-param and --loopback-port belong to Berth's own client: give its --client-id too, or leave them out to sign in through Harbor's web login.");
      }
      const input: AddHarborInput = {
        name,
        url,
        ...(clientId
          ? {
              method: 'oidc' as const,
              clientId,
              authParams,
              ...(issuer ? { issuer } : {}),
              ...(scopes ? { scopes } : {}),
              ...(loopbackPort !== undefined ? { loopbackPort } : {}),
              ...(maxSessionDays !== undefined ? { maxSessionDays } : {}),
            }
          : { method: 'web' as const }),
        ...(typeof values['ca-file'] === 'string' ? { caFile: values['ca-file'] } : {}),
        ...(idleDays !== undefined ? { idleDays } : {}),
        ...(values['keep-alive-hours'] !== undefined ? { keepAliveHours: nonNegativeNumber(values['keep-alive-hours'] as string, '--keep-alive-hours') } : {}),
        ...(values['warn-days'] !== undefined ? { warnDays: nonNegativeNumber(values['warn-days'] as string, '--warn-days') } : {}),
      };
      const { view, warnings } = await (await io.createApi(io.env)).addRegistry(input);
      if (values.json) printJson(io, { ...statusJson(view), warnings });
      for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
      io.stderr(`Added ${view.name} (${view.registry}), signing in with ${methodWords[view.method]}. Sign in with: berth login ${view.name}\n`);
      return exitCodes.ok;
    },
  },
  login: {
    summary: 'sign in and write docker credentials',
    usage: 'berth login <name> [--username <user>] [--secret-stdin] [--browser-command "<cmd>"] [--timeout <seconds>] [--json]',
    options: {
      username: { type: 'string' },
      'secret-stdin': { type: 'boolean' },
      'browser-command': { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help,
    },
    async run({ positionals, values }, io) {
      const name = one(positionals, 'registry name');
      const timeout = positiveNumber(values.timeout as string | undefined, '--timeout');
      const openBrowser =
        typeof values['browser-command'] === 'string' ? commandOpener(values['browser-command']) : systemBrowserOpener((line) => io.stderr(`${line}\n`));
      const api = await io.createApi(io.env);
      const [current] = api.status(name) as [RegistryView];
      const pasting = values['secret-stdin'] === true || values.username !== undefined;
      if (pasting && !current.can.pasteSecret) {
        throw usageError(`--username and --secret-stdin are for registries that sign in through Harbor's web login; ${name} signs in with ${methodWords[current.method]}.`);
      }
      const pasted = current.can.pasteSecret ? await askForSecret(current, values, openBrowser, io) : undefined;
      const view = await api.signIn(name, { openBrowser, ...(timeout ? { timeoutMs: timeout * 1000 } : {}), ...(pasted ? { pasted } : {}) });
      if (values.json) printJson(io, statusJson(view));
      if (!working(view)) {
        io.stderr(`berth login: ${view.lastError ?? `${view.name} is ${view.state}.`}\n`);
        return exitCodes.failure;
      }
      if (view.notice) io.stderr(`warning: ${view.notice}\n`);
      io.stderr(
        pasted
          ? `Checked: Harbor's token service at ${view.registry} accepts the CLI secret of ${view.username}. It is in the keychain, and docker credentials for ${view.registry} are in place.\n`
          : `Signed in to ${view.name} as ${view.username}; docker credentials for ${view.registry} are in place.\n`,
      );
      return exitCodes.ok;
    },
  },
  status: {
    summary: 'show each registry and its state',
    usage: 'berth status [<name>] [--json]',
    options: { json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      if (positionals.length > 1) throw usageError('Expected at most one registry name.');
      const api = await io.createApi(io.env);
      // A regenerate that was interrupted is finished before its registry is shown.
      await api.settleJournals(positionals[0] === undefined ? undefined : [positionals[0]]);
      printViews(api.status(positionals[0]), values.json === true, io);
      if (!values.json) io.stdout(`secrets: ${api.secretStore() === 'file' ? `in ${secretsFile(configDir(io.env))} (berth config secret-store file)` : 'in the OS keychain'}\n`);
      return exitCodes.ok;
    },
  },
  list: {
    summary: 'list the configured registries',
    usage: 'berth list [--json]',
    options: { json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      if (positionals.length > 0) throw usageError('berth list takes no arguments.');
      const api = await io.createApi(io.env);
      printViews(api.listRegistries(), values.json === true, io);
      return exitCodes.ok;
    },
  },
  refresh: {
    summary: 'keep-alive pass now: renew the sessions and check the CLI secret',
    usage: 'berth refresh [<name>] [--json]   (all signed-in registries when no name is given)',
    options: { json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      if (positionals.length > 1) throw usageError('Expected at most one registry name.');
      const api = await io.createApi(io.env);
      api.on('targets-repaired', ({ name, targets }) => io.stderr(`${name}: rewrote ${targets.join(', ')}, which held another secret than the one Harbor accepts.\n`));
      const views = positionals[0] === undefined ? await api.refreshAll() : [await api.refresh(positionals[0])];
      if (views.length === 0) {
        io.stderr('No signed-in registries to refresh. Sign in with `berth login <name>`.\n');
        return exitCodes.ok;
      }
      printViews(views, values.json === true, io);
      return views.every(working) ? exitCodes.ok : exitCodes.failure;
    },
  },
  regenerate: {
    summary: 'replace the Harbor CLI secret with a new one and write it everywhere',
    usage: 'berth regenerate <name> [--yes] [--json]',
    options: { yes: { type: 'boolean', short: 'y' }, json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      const name = one(positionals, 'registry name');
      if (!values.yes) {
        if (!io.confirm) throw usageError('Regenerating needs confirmation: run it on a terminal, or pass --yes.');
        const question =
          `Regenerate the CLI secret of ${name}? The old secret stops working at once everywhere it is used ` +
          `(other machines, CI jobs, scripts); Berth updates only the credentials on this machine. [y/N] `;
        if (!(await io.confirm(question))) {
          io.stderr('Nothing changed.\n');
          return exitCodes.failure;
        }
      }
      const view = await (await io.createApi(io.env)).regenerate(name);
      if (values.json) printJson(io, statusJson(view));
      if (!working(view)) {
        io.stderr(`berth regenerate: ${view.lastError ?? `${name} is ${view.state}.`}\n`);
        return exitCodes.failure;
      }
      io.stderr(`${name} has a new CLI secret; Harbor accepts it and docker credentials for ${view.registry} use it.\n`);
      return exitCodes.ok;
    },
  },
  keepalive: {
    summary: 'keep every signed-in registry alive in the foreground (servers, WSL, no tray)',
    usage: 'berth keepalive [--json]   (one line per pass on stdout, a JSON object per line with --json; Ctrl-C stops)',
    options: { json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      if (positionals.length > 0) throw usageError('berth keepalive takes no arguments.');
      const api = await io.createApi(io.env);
      const scheduler = api.keepAliveScheduler({
        onPass: (report) => {
          const view = api.status().find((candidate) => candidate.name === report.name);
          io.stdout(values.json ? `${JSON.stringify(passJson(report, view))}\n` : passLine(report, view));
        },
      });
      // Sign-ins, sign-outs and new registries from other Berth processes reach this one through the status files.
      const watcher = watch(configDir(io.env), (_event, file) => {
        if (file === 'status.json' || file === 'settings.json') scheduler.sync();
      });
      scheduler.start();
      const tracked = scheduler.schedule().size;
      io.stderr(`Keeping ${tracked} registr${tracked === 1 ? 'y' : 'ies'} alive; Ctrl-C stops.\n`);
      await io.untilInterrupted();
      watcher.close();
      await scheduler.stop();
      return exitCodes.ok;
    },
  },
  check: {
    summary: 'will `docker pull <image>` work right now? (a registry alone: is the login good?)',
    usage: 'berth check <image | registry host | registry name> [--insecure] [--json]   (exit 0 will work, 1 no or rejected credentials, 2 denied or not found, 3 unreachable or TLS)',
    options: { insecure: { type: 'boolean' }, json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      const input = one(positionals, 'image reference or registry');
      const result = await (await io.createApi(io.env)).check(input, { insecure: values.insecure === true });
      if (values.json) printJson(io, result);
      else (checkExitCode(result.verdict) === 0 ? io.stdout : io.stderr)(`${result.message}${result.actionUrl ? `\n  fix: ${result.actionUrl}` : ''}\n`);
      return checkExitCode(result.verdict);
    },
  },
  target: {
    summary: 'choose how docker gets the credential: written into its config, or asked of Berth on each use',
    usage: 'berth target <name> config|helper [--json]   (helper: config.json gets credHelpers[host] = "berth" and no secret)',
    options: { json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      const [name, target, ...rest] = positionals;
      if (!name || (target !== 'config' && target !== 'helper') || rest.length > 0) throw usageError('Expected a registry name and "config" or "helper".');
      const view = await (await io.createApi(io.env)).setTarget(name, target);
      if (values.json) printJson(io, statusJson(view));
      io.stderr(
        target === 'helper'
          ? `docker now asks docker-credential-berth for ${view.registry} on each use; config.json holds no secret for it. Keep docker-credential-berth on PATH.\n`
          : `Berth writes the credential for ${view.registry} into docker's config (or the credential store it names).\n`,
      );
      return exitCodes.ok;
    },
  },
  logout: {
    summary: 'remove the credentials, revoke the session and forget the secrets',
    usage: 'berth logout <name> [--json]',
    options: { json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      const name = one(positionals, 'registry name');
      const result = await (await io.createApi(io.env)).signOut(name);
      if (values.json) printJson(io, { name, ...result });
      for (const warning of result.warnings) io.stderr(`warning: ${warning}\n`);
      io.stderr(`Signed out of ${name}${result.revoked ? '; the session is revoked at the identity provider' : ''}.\n`);
      return exitCodes.ok;
    },
  },
  remove: {
    summary: 'sign out and forget a registry',
    usage: 'berth remove <name> [--json]',
    options: { json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      const name = one(positionals, 'registry name');
      const result = await (await io.createApi(io.env)).removeRegistry(name);
      if (values.json) printJson(io, { name, ...result });
      for (const warning of result.warnings) io.stderr(`warning: ${warning}\n`);
      io.stderr(`Removed ${name}.\n`);
      return exitCodes.ok;
    },
  },
  config: {
    summary: 'where Berth keeps secrets: the OS keychain, or a file for machines without one',
    usage: 'berth config secret-store <keychain|file> [--json]',
    options: { json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      const [setting, value, ...extra] = positionals;
      if (setting !== 'secret-store' || (value !== 'keychain' && value !== 'file') || extra.length > 0) {
        throw usageError('berth config secret-store takes "keychain" or "file".');
      }
      const api = await io.createApi(io.env);
      const changed = await api.changeSecretStore(value);
      if (values.json) printJson(io, changed);
      else {
        io.stdout(
          value === 'file'
            ? `Secrets are kept in ${secretsFile(configDir(io.env))} from now on: readable by you alone (0600), but by anyone who can act as you, without a keyring's lock.\n`
            : 'Secrets are kept in the OS keychain from now on.\n',
        );
        if (changed.moved.length > 0) io.stdout(`Moved the secrets of ${changed.moved.join(', ')}.\n`);
        for (const warning of changed.warnings) io.stderr(`warning: ${warning}\n`);
      }
      return changed.warnings.length > 0 ? exitCodes.failure : exitCodes.ok;
    },
  },
  doctor: {
    summary: 'check the keychain, docker config, credential helper, servers and clock, and say how to fix each problem',
    usage: 'berth doctor [--json]   (exit 0 when nothing is wrong, 1 otherwise)',
    options: { json: { type: 'boolean' }, help },
    async run({ positionals, values }, io) {
      if (positionals.length > 0) throw usageError('berth doctor takes no arguments.');
      // Not through the API: the doctor must work when settings.json itself is broken.
      const { runDoctor } = await import('../doctor/doctor.js');
      const findings = await runDoctor({ env: io.env });
      const healthy = findings.every((finding) => finding.ok);
      if (values.json) printJson(io, { ok: healthy, findings });
      else {
        for (const finding of findings) {
          io.stdout(`${finding.ok ? 'ok     ' : 'PROBLEM'}  ${finding.area}: ${finding.message}\n`);
          if (finding.remedy) io.stdout(`         fix: ${finding.remedy}\n`);
        }
        io.stdout(healthy ? 'No problems found.\n' : `${findings.filter((finding) => !finding.ok).length} problem(s) found.\n`);
      }
      return healthy ? exitCodes.ok : exitCodes.failure;
    },
  },
};

function readProfile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(`Cannot read the profile ${path}: ${errorMessage(error)}`);
  }
}

const maxSecretLength = 4096;

/**
 * Harbor's web login from a terminal: the browser shows Harbor (which also revives Harbor's session), the person copies
 * the CLI secret from their User Profile, and Berth reads it without echo; `--username` and `--secret-stdin` for scripts.
 */
async function askForSecret(
  current: RegistryView,
  values: Record<string, string | boolean | string[] | undefined>,
  openBrowser: ReturnType<typeof commandOpener>,
  io: CliIo,
): Promise<{ username: string; secret: string }> {
  let username = values.username as string | undefined;
  let secret: string;
  if (values['secret-stdin']) {
    secret = (await io.readStdin()).replace(/\r?\n$/, '');
    if (secret.length > maxSecretLength) throw usageError(`The CLI secret on standard input is longer than ${maxSecretLength} characters.`);
    if (username === undefined) {
      if (!io.prompt) throw usageError('--secret-stdin needs --username when there is no terminal to ask on.');
      username = await io.prompt('Harbor username: ');
    }
    return { username, secret };
  }
  if (!io.prompt) {
    throw usageError(`${current.name} signs in through Harbor's web login: on a terminal Berth asks for your username and CLI secret; elsewhere pass --username and --secret-stdin.`);
  }
  await openBrowser(new URL('c/oidc/login', `${current.url}/`).href);
  io.stderr("Log in to Harbor in the browser, then open your user menu (top right) → User Profile and copy the CLI secret.\n");
  if (username === undefined) {
    const known = current.username;
    username = (await io.prompt(`Harbor username${known ? ` [${known}]` : ''}: `)) || (known ?? '');
  }
  secret = await io.prompt('CLI secret (not shown): ', { hidden: true });
  return { username, secret };
}

function overview(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  return [
    'berth: keeps container-registry logins alive',
    '',
    'Usage: berth <command> [options]   (berth <command> --help for its options)',
    '',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Options: --help, --version',
  ].join('\n');
}

/** Node's parser speaks of "positional arguments" and "<value>"; a person wants the flag, the problem and where the help is. */
function flagProblem(message: string, command: string): string {
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? 'an option';
  const see = `see \`berth ${command} --help\``;
  if (/^Unknown option/.test(message)) return `unknown option ${flag}; ${see}.`;
  if (/argument missing/.test(message)) return `${flag} needs a value; ${see}.`;
  if (/does not take an argument/.test(message)) return `${flag} takes no value; ${see}.`;
  return `${message.split('. ')[0]}; ${see}.`;
}

/** Runs one CLI invocation; returns the exit status (0 ok, 1 failure, 64 bad usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(`${overview()}\n`);
    return name === undefined ? exitCodes.usage : exitCodes.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${berthVersion()}\n`);
    return exitCodes.ok;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`berth: unknown command "${name}".\n\n${overview()}\n`);
    return exitCodes.usage;
  }
  try {
    const { positionals, values } = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    if (values.help) {
      io.stdout(`Usage: ${command.usage}\n`);
      return exitCodes.ok;
    }
    const unsafe = configDirProblem(configDir(io.env));
    if (unsafe) io.stderr(`warning: ${unsafe}\n`);
    return await command.run({ positionals, values: values as Record<string, string | boolean | string[] | undefined> }, io);
  } catch (error) {
    // Not every error's code is a string (a DOMException's is a number).
    const code = (error as { code?: unknown }).code;
    const parsing = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
    const usage = parsing || (error instanceof BerthError && error.code === 'usage');
    io.stderr(`berth ${name}: ${parsing ? flagProblem(errorMessage(error), name) : redact(errorMessage(error))}\n`);
    if (usage) {
      io.stderr(`Usage: ${command.usage}\n`);
      return exitCodes.usage;
    }
    return exitCodes.failure;
  }
}
