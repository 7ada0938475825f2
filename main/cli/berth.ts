import { readFileSync, watch } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { AddHarborInput, BerthApi, RegistryChange, RegistryView } from '../api/index.js';
import type { DeviceSignInChoice } from '../providers/method.js';
import { BerthError, errorMessage } from '../errors.js';
import type { PassReport } from '../keepalive/scheduler.js';
import { defaultScopes, type SignInMethod } from '../settings/model.js';
import { parseRegistryProfile, parseTokenProfile } from '../settings/profile.js';
import { configDir, configDirProblem, secretsFile } from '../settings/paths.js';
import { commandOpener, systemBrowserOpener, whyNoBrowser } from './browser.js';
import { failureLine } from './failure-line.js';
import { listTable, statusTable } from './status-table.js';
import { localTime, when } from './time-words.js';
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
  /** The terminal's width when stdout is one; tables are cut to fit it. */
  columns?: number;
  /** The clock for relative times ("in 3 hours"); default the system's. */
  now?: () => number;
  /** How often `berth keepalive` says it is alive when nothing else was printed; default an hour. */
  heartbeatMs?: number;
  /** A QR code of a URL for the terminal, where the terminal can show one (the device sign-in's page). */
  qrCode?: (url: string) => Promise<string>;
}

/** One command-line flag: how it parses, and the line `--help` shows for it. */
interface Flag {
  /** A value's placeholder (`<seconds>`); absent for a switch. */
  value?: string;
  multiple?: boolean;
  short?: string;
  description: string;
}

interface Command {
  summary: string;
  usage: string;
  flags: Record<string, Flag>;
  /** Shown under `--help`; each a full command line a person could run. */
  examples: string[];
  run(args: { positionals: string[]; values: Record<string, string | boolean | string[] | undefined> }, io: CliIo): Promise<number>;
}

/** `--json` of a command that prints one object: the help says which (README: "JSON output"). */
function jsonObject(shape: string): Flag {
  return { description: `print one JSON object on stdout, for scripts: ${shape}` };
}
const registryObject = jsonObject('the registry as one element of `berth status --json`');
const jsonListFlag: Flag = { description: 'print a JSON array on stdout (one object per registry, [] when there are none), for scripts' };
const helpFlag: Flag = { short: 'h', description: 'show this help' };

function parserOptions(flags: Record<string, Flag>): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, flag] of Object.entries({ ...flags, help: helpFlag })) {
    options[name] = { type: flag.value === undefined ? 'boolean' : 'string', ...(flag.multiple ? { multiple: true } : {}), ...(flag.short ? { short: flag.short } : {}) };
  }
  return options;
}

/** A command's `--help`: the usage line, what it does, one line per flag, and examples. */
function commandHelp(command: Command): string {
  const rows = Object.entries({ ...command.flags, help: helpFlag }).map(([name, flag]) => [
    `${flag.short ? `-${flag.short}, ` : '    '}--${name}${flag.value ? ` ${flag.value}` : ''}`,
    `${flag.description}${flag.multiple ? ' (may be repeated)' : ''}`,
  ]);
  const width = Math.max(...rows.map(([left]) => (left as string).length));
  return [
    `Usage: ${command.usage}`,
    '',
    `${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.`,
    '',
    'Options:',
    ...rows.map(([left, right]) => `  ${(left as string).padEnd(width)}  ${right}`),
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
  ].join('\n');
}

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
  const { expiresAt, expirySource, accessTokenExpiresAt, note, pointer } = view;
  return { name, kind, method, registry, target, username, state, idleDeadline, lastKeptAliveAt, nextKeepAliveAt, sessionExpiresAt, sessionFixed, notice, lastError, actionUrl, expiresAt, expirySource, accessTokenExpiresAt, note, pointer };
}

const methodWords: Record<SignInMethod, string> = {
  web: "Harbor's web login",
  oidc: "Berth's own OIDC client",
  token: 'a token',
  stackit: 'a STACKIT service account',
};

function working(view: Pick<RegistryView, 'state'>): boolean {
  return view.state === 'valid' || view.state === 'expiring';
}

function passLine(report: PassReport, view: RegistryView | undefined, at: number): string {
  const problem = view && !working(view) && view.lastError ? `  ${view.lastError}` : '';
  return `${new Date(report.startedAt).toISOString()}  ${report.name}  ${report.state}  ${report.ms} ms  next ${when(new Date(report.nextAt).toISOString(), at)}${problem}\n`;
}

/** `berth keepalive` at start: each registry's state, its next pass and Harbor's idle deadline. */
function startLine(view: RegistryView, at: number): string {
  if (view.state === 'signed-out') return `${view.name}  signed-out  not kept alive until you sign in (\`berth login ${view.name}\`)`;
  if (view.keepAliveHours === null) return `${view.name}  ${view.state}  keep-alive is off (\`berth set ${view.name} --keep-alive-hours 24\` turns it on)`;
  const next = view.nextKeepAliveAt ? `next pass ${when(view.nextKeepAliveAt, at)}` : 'next pass not planned yet';
  return `${view.name}  ${view.state}  ${next}${view.idleDeadline ? `  idle deadline ${when(view.idleDeadline, at)}` : ''}`;
}

/** The heartbeat: alive, how many registries, and which pass comes next. */
function heartbeatLine(views: RegistryView[], at: number): string {
  const planned = views.filter((view) => view.state !== 'signed-out' && view.nextKeepAliveAt).sort((a, b) => Date.parse(a.nextKeepAliveAt as string) - Date.parse(b.nextKeepAliveAt as string));
  const next = planned[0];
  return `${new Date(at).toISOString()}  still keeping ${planned.length} registr${planned.length === 1 ? 'y' : 'ies'} alive${next ? `; next pass: ${next.name} ${when(next.nextKeepAliveAt as string, at)}` : ''}`;
}

/** Where Berth put a registry's credential back, and how to make a removal stick. */
function repairedLine({ name, targets }: { name: string; targets: string[] }): string {
  return `${name}: rewrote ${targets.join(', ')}, which held another secret than the one Harbor accepts, or none (to sign out for good: \`berth logout ${name}\`).`;
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

function now(io: CliIo): number {
  return io.now?.() ?? Date.now();
}

/** Registries as a table (`short`: name, registry and state), or as a JSON array, which is `[]` when there are none. */
function printViews(views: RegistryView[], json: boolean, io: CliIo, short = false): void {
  if (json) printJson(io, views.map(statusJson));
  else if (views.length === 0) io.stderr('No registries yet. Add one with `berth add harbor <name> --url <your Harbor>`.\n');
  else io.stdout(`${short ? listTable(views, io.columns) : statusTable(views, { now: now(io), ...(io.columns ? { width: io.columns } : {}) })}\n`);
}

const commands: Record<string, Command> = {
  add: {
    summary: 'add a Harbor registry by its URL (a token registry: berth add token --help; STACKIT: berth add stackit --help)',
    usage:
      'berth add harbor <name> --url <harbor> [--client-id <id> [--issuer <URL>] [--scope "..."] [--auth-param k=v]... [--loopback-port <port>]] [--profile <file>] [--ca-file <pem>] [--idle-days 30] [--keep-alive-hours 24|0] [--warn-days 3] [--json]',
    flags: {
      url: { value: '<harbor>', description: "Harbor's web address; a bare host means https://" },
      'client-id': { value: '<id>', description: "Berth's own client at the identity provider, where an administrator registered one (method oidc)" },
      issuer: { value: '<URL>', description: 'the identity provider for --client-id; default: the one Harbor\'s login redirects to' },
      scope: { value: '"<scopes>"', description: `scopes Berth's own client asks for; default "${defaultScopes}"` },
      'auth-param': { value: '<key=value>', multiple: true, description: 'an extra authorization request parameter for --client-id, e.g. kc_idp_hint=campus' },
      'loopback-port': { value: '<port>', description: 'a fixed port for the sign-in callback, for providers that match redirect URIs exactly' },
      profile: { value: '<file>', description: "a registry profile from your administrator (JSON); flags given too win over its fields" },
      'ca-file': { value: '<pem>', description: "a CA certificate (PEM) to trust for this Harbor and its identity provider" },
      'idle-days': { value: '<days>', description: "the identity provider's offline-session idle window; default 30 (Keycloak's)" },
      'keep-alive-hours': { value: '<hours>', description: 'hours between keep-alive passes; 0 turns keep-alive off; default the preference (24)' },
      'warn-days': { value: '<days>', description: 'days before an expiry at which the registry shows as expiring; default the preference (3)' },
      json: jsonObject('the registry as in `berth status --json`, plus "warnings"'),
    },
    examples: [
      'berth add harbor work --url harbor.example.org',
      'berth add harbor work --profile ./harbor-profile.json',
      'berth add harbor lab --url https://harbor.lab.example --client-id berth --ca-file ./lab-ca.pem',
    ],
    async run({ positionals, values }, io) {
      const [kind, named, ...rest] = positionals;
      if (kind !== 'harbor') throw usageError(kind ? `Unknown registry kind "${kind}"; this version knows: harbor, token, stackit.` : 'Name the registry kind: berth add harbor|token|stackit <name> --url <registry>');
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
  set: {
    summary: "change a registry without removing it: its CA file, keep-alive interval, warning days, scopes, user name, or a token's end and note",
    usage: 'berth set <name> [--ca-file <pem>] [--keep-alive-hours <hours>] [--warn-days <days>] [--scope "<scopes>"] [--username <user>] [--expires <date> | --expires-in 30d | --expires unknown] [--note <text>] [--json]',
    flags: {
      'ca-file': { value: '<pem>', description: 'a CA certificate (PEM) to trust for this registry and its identity provider; "" trusts only the system\'s again' },
      'keep-alive-hours': { value: '<hours>', description: 'hours between keep-alive passes, counted from the last pass; 0 turns keep-alive off' },
      'warn-days': { value: '<days>', description: 'days before an expiry at which the registry shows as expiring' },
      scope: { value: '"<scopes>"', description: "the scopes Berth's own client asks for at the next sign-in (registries added with --client-id)" },
      username: { value: '<user>', description: "the Harbor user to sign in as next (Harbor's web login and tokens)" },
      expires: { value: '<date>', description: 'a token registry: when the token expires, e.g. 2026-12-31; "unknown" forgets the date' },
      'expires-in': { value: '<days>d', description: 'a token registry: when the token expires, counted from now, e.g. 30d' },
      note: { value: '<text>', description: "a token registry: the token's description at the registry" },
      json: jsonObject('the registry as in `berth status --json`, plus "changes"'),
    },
    examples: [
      'berth set work --ca-file ./company-ca.pem',
      'berth set work --keep-alive-hours 12 --warn-days 7',
      'berth set lab --scope "openid profile offline_access"',
      'berth set work --username alice',
      'berth set harness --expires 2026-12-31',
      'berth set ci --expires unknown',
    ],
    async run({ positionals, values }, io) {
      const name = one(positionals, 'registry name');
      const caFile = values['ca-file'] as string | undefined;
      const change: RegistryChange = {
        ...(caFile !== undefined ? { caFile: caFile === '' ? null : caFile } : {}),
        ...(values['keep-alive-hours'] !== undefined ? { keepAliveHours: nonNegativeNumber(values['keep-alive-hours'] as string, '--keep-alive-hours') } : {}),
        ...(values['warn-days'] !== undefined ? { warnDays: nonNegativeNumber(values['warn-days'] as string, '--warn-days') } : {}),
        ...(values.scope !== undefined ? { scopes: values.scope as string } : {}),
        ...(values.username !== undefined ? { username: values.username as string } : {}),
        ...(values.expires === 'unknown' ? { expiresAt: null } : expiryFlag(values) !== undefined ? { expiresAt: expiryFlag(values) as string } : {}),
        ...(typeof values.note === 'string' ? { note: values.note } : {}),
      };
      const { view, changes } = await (await io.createApi(io.env)).updateRegistry(name, change);
      if (values.json) printJson(io, { ...statusJson(view), changes });
      for (const line of changes) io.stderr(`${line}\n`);
      if (change.keepAliveHours && view.nextKeepAliveAt) io.stderr(`Next keep-alive pass: ${when(view.nextKeepAliveAt, now(io))}.\n`);
      return exitCodes.ok;
    },
  },
  login: {
    summary: 'sign in and write docker credentials',
    usage: 'berth login <name> [--device] [--username <user>] [--secret-stdin] [--browser-command "<cmd>"] [--timeout <seconds>] [--json]',
    flags: {
      device: { description: "sign in with a code on any device with a browser (OAuth device grant; Berth's own client): for SSH, WSL and servers; chosen by itself where no browser can open" },
      username: { value: '<user>', description: "your Harbor user name (Harbor's web login); asked for on a terminal when absent" },
      'secret-stdin': { description: "read the CLI secret from standard input instead of asking (Harbor's web login)" },
      'browser-command': { value: '"<cmd>"', description: 'the command that opens the sign-in page, instead of the system browser' },
      timeout: { value: '<seconds>', description: 'how long to wait for the browser sign-in; default 300' },
      json: registryObject,
    },
    examples: ['berth login work', 'berth login lab --device', 'printf %s "$CLI_SECRET" | berth login work --username alice --secret-stdin', 'berth login lab --browser-command "firefox --new-window"'],
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
      if (values.device && current.method !== 'oidc') {
        throw usageError(`--device is for registries that sign in with Berth's own client; ${name} signs in with ${methodWords[current.method]}, which needs no browser here (Berth asks for the CLI secret).`);
      }
      const pasted = current.can.pasteSecret ? await askForSecret(current, api.chosenUsername(name), values, openBrowser, io) : undefined;
      const device = current.method === 'oidc' ? deviceChoice(name, values, io) : undefined;
      const view = await api.signIn(name, { openBrowser, ...(timeout ? { timeoutMs: timeout * 1000 } : {}), ...(pasted ? { pasted } : {}), ...(device ? { device } : {}) });
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
    flags: { json: jsonListFlag },
    examples: ['berth status', 'berth status work', "berth status --json | jq -r '.[] | select(.state != \"valid\") | .name'"],
    async run({ positionals, values }, io) {
      if (positionals.length > 1) throw usageError('Expected at most one registry name.');
      const api = await io.createApi(io.env);
      // A regenerate that was interrupted is finished before its registry is shown.
      await api.settleJournals(positionals[0] === undefined ? undefined : [positionals[0]]);
      printViews(api.status(positionals[0]), values.json === true, io);
      if (!values.json) {
        const { noSessionBus } = await import('../secrets/no-keyring.js');
        const where =
          api.secretStore() === 'file'
            ? `in ${secretsFile(configDir(io.env))} (berth config secret-store file)`
            : noSessionBus(io.env)
              ? 'in the OS keychain, but none can answer here (no D-Bus session): `berth config secret-store file` keeps them in a file instead'
              : 'in the OS keychain';
        io.stdout(`\nsecrets: ${where}\n`);
      }
      return exitCodes.ok;
    },
  },
  list: {
    summary: 'list the configured registries',
    usage: 'berth list [--json]',
    flags: { json: jsonListFlag },
    examples: ['berth list', 'berth list --json'],
    async run({ positionals, values }, io) {
      if (positionals.length > 0) throw usageError('berth list takes no arguments.');
      const api = await io.createApi(io.env);
      printViews(api.listRegistries(), values.json === true, io, true);
      return exitCodes.ok;
    },
  },
  refresh: {
    summary: 'keep-alive pass now: renew the sessions and check the CLI secret',
    usage: 'berth refresh [<name>] [--json]   (all signed-in registries when no name is given)',
    flags: { json: jsonListFlag },
    examples: ['berth refresh', 'berth refresh work'],
    async run({ positionals, values }, io) {
      if (positionals.length > 1) throw usageError('Expected at most one registry name.');
      const api = await io.createApi(io.env);
      api.on('targets-repaired', (repaired) => io.stderr(`${repairedLine(repaired)}\n`));
      const views = positionals[0] === undefined ? await api.refreshAll() : [await api.refresh(positionals[0])];
      if (views.length === 0) {
        if (values.json) printJson(io, []);
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
    flags: { yes: { short: 'y', description: 'do not ask for confirmation (scripts); the old secret stops working at once' }, json: registryObject },
    examples: ['berth regenerate work', 'berth regenerate work --yes'],
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
    summary: 'keep every signed-in registry alive in the foreground (servers, WSL, no tray), or run the passes due now with --once',
    usage: 'berth keepalive [--once] [--json]   (a line per registry at start, one per pass on stdout, a heartbeat at most hourly; Ctrl-C stops)',
    flags: {
      once: { description: 'run the passes that are due now and exit: 0 when every one ended valid or expiring, 1 otherwise (cron, systemd timers)' },
      json: { description: 'print a JSON object per line instead of text (NDJSON): {at, name, state, ms, nextAt, lastError}, one per pass' },
    },
    examples: ['berth keepalive', 'berth keepalive --once', 'berth keepalive --json >> ~/berth-passes.jsonl'],
    async run({ positionals, values }, io) {
      if (positionals.length > 0) throw usageError('berth keepalive takes no arguments.');
      const api = await io.createApi(io.env);
      const passes: PassReport[] = [];
      let lastLineAt = now(io);
      const scheduler = api.keepAliveScheduler({
        onPass: (report) => {
          passes.push(report);
          lastLineAt = now(io);
          const view = api.status().find((candidate) => candidate.name === report.name);
          io.stdout(values.json ? `${JSON.stringify(passJson(report, view))}\n` : passLine(report, view, now(io)));
        },
      });
      const kept = () => api.status().filter((view) => view.state !== 'signed-out' && view.keepAliveHours !== null);
      if (kept().length === 0) {
        for (const view of api.status()) io.stderr(`${startLine(view, now(io))}\n`);
        io.stderr('No registry is signed in, so there is nothing to keep alive: sign in with `berth login <name>`, then start berth keepalive again.\n');
        return exitCodes.ok;
      }
      if (values.once) {
        await scheduler.runDueNow();
        for (const view of api.status()) io.stderr(`${startLine(view, now(io))}\n`);
        if (passes.length === 0) io.stderr('Nothing was due.\n');
        return passes.every(working) ? exitCodes.ok : exitCodes.failure;
      }
      // Sign-ins, sign-outs and new registries from other Berth processes reach this one through the status files.
      const watcher = watch(configDir(io.env), (_event, file) => {
        if (file === 'status.json' || file === 'settings.json') scheduler.sync();
      });
      scheduler.start();
      // A `docker logout` or a `docker login` over Berth's entry is undone at once, not at the next pass.
      api.on('targets-repaired', (repaired) => {
        lastLineAt = now(io);
        io.stderr(`${new Date(lastLineAt).toISOString()}  ${repairedLine(repaired)}\n`);
      });
      const stopWatching = api.watchCredentialTargets();
      for (const view of api.status()) io.stderr(`${startLine(view, now(io))}\n`);
      io.stderr(`Keeping ${kept().length} registr${kept().length === 1 ? 'y' : 'ies'} alive; Ctrl-C stops.\n`);
      const heartbeatMs = io.heartbeatMs ?? 60 * 60_000;
      // A line at most every heartbeat when no pass spoke meanwhile, so a log shows the process is alive and what comes next.
      const heartbeat = setInterval(() => {
        if (now(io) - lastLineAt < heartbeatMs) return;
        lastLineAt = now(io);
        io.stderr(`${heartbeatLine(api.status(), now(io))}\n`);
      }, heartbeatMs);
      await io.untilInterrupted();
      clearInterval(heartbeat);
      await stopWatching();
      watcher.close();
      await scheduler.stop();
      return exitCodes.ok;
    },
  },
  check: {
    summary: 'will `docker pull <image>` work right now? (a registry alone: is the login good?)',
    usage: 'berth check <image | registry host | registry name> [--insecure] [--json]   (exit 0 will work, 1 no or rejected credentials, 2 denied or not found, 3 unreachable or TLS)',
    flags: { insecure: { description: 'plain http, for local registries only: refused when credentials would go to another machine' }, json: jsonObject('{reference, registry, repository, verdict, message, digest, mediaType, username, credentialSource, actionUrl}') },
    examples: ['berth check harbor.example.org/team/app:1.4', 'berth check work', 'berth check localhost:5000/tools/ci:latest --insecure'],
    async run({ positionals, values }, io) {
      const input = one(positionals, 'image reference or registry');
      const [api, { checkReport }] = await Promise.all([io.createApi(io.env), import('./check-report.js')]);
      const report = checkReport(await api.check(input, { insecure: values.insecure === true }), values.json === true);
      io[report.stream](report.text);
      return report.code;
    },
  },
  target: {
    summary: 'choose how docker gets the credential: written into its config, or asked of Berth on each use',
    usage: 'berth target <name> config|helper [--json]   (helper: config.json gets credHelpers[host] = "berth" and no secret)',
    flags: { json: registryObject },
    examples: ['berth target work helper', 'berth target work config'],
    async run({ positionals, values }, io) {
      const [name, target, ...rest] = positionals;
      if (!name || (target !== 'config' && target !== 'helper') || rest.length > 0) throw usageError('Expected a registry name and "config" or "helper".');
      const view = await (await io.createApi(io.env)).setTarget(name, target);
      if (values.json) printJson(io, statusJson(view));
      if (view.state === 'signed-out') {
        io.stderr(
          `${name} is signed out, so nothing was written now: from the next sign-in (\`berth login ${name}\`) ` +
            (target === 'helper' ? `docker asks docker-credential-berth for ${view.registry}, and config.json holds no secret for it.\n` : `Berth writes the credential for ${view.registry} into docker's config.\n`),
        );
        return exitCodes.ok;
      }
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
    flags: { json: jsonObject('{name, revoked, warnings}') },
    examples: ['berth logout work'],
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
    flags: { json: jsonObject('{name, revoked, warnings}') },
    examples: ['berth remove work'],
    async run({ positionals, values }, io) {
      const name = one(positionals, 'registry name');
      const result = await (await io.createApi(io.env)).removeRegistry(name);
      if (values.json) printJson(io, { name, ...result });
      for (const warning of result.warnings) io.stderr(`warning: ${warning}\n`);
      io.stderr(`Removed ${name}.\n`);
      return exitCodes.ok;
    },
  },
  replace: {
    summary: 'replace the token (or STACKIT key) of a registry with a new one: checked first, then written everywhere at once',
    usage: 'berth replace <name> [--username <user>] [--secret-stdin] [--expires <date> | --expires-in 30d] [--key-file <file>] [--json]',
    flags: {
      username: { value: '<user>', description: 'a new user name to go with the token; default the one Berth has' },
      'secret-stdin': { description: 'read the new token from standard input instead of asking for it (hidden) on a terminal' },
      expires: { value: '<date>', description: 'when the new token expires; default: read from the token or from Harbor where possible' },
      'expires-in': { value: '<days>d', description: 'when the new token expires, counted from now, e.g. 30d' },
      'key-file': { value: '<file>', description: 'a STACKIT registry: the new service-account key file' },
      json: registryObject,
    },
    examples: ['berth replace harness --expires-in 30d', "printf %s \"$NEW_SECRET\" | berth replace ci --secret-stdin", 'berth replace stackit --key-file ~/Downloads/new-key.json'],
    async run({ positionals, values }, io) {
      const name = one(positionals, 'registry name');
      const api = await io.createApi(io.env);
      const [current] = api.status(name) as [RegistryView];
      if (!current.can.replace) throw usageError(`${name} signs in with ${methodWords[current.method]}: use \`berth login ${name}\` instead.`);
      const stackit = current.kind === 'stackit';
      if (stackit && typeof values['key-file'] !== 'string') throw usageError(`--key-file is required: the new service-account key file for ${name}.`);
      if (!stackit && values['key-file'] !== undefined) throw usageError('--key-file is for STACKIT registries; give the new token with --secret-stdin or on the terminal.');
      const expiresAt = expiryFlag(values);
      const secret = stackit ? readKeyFile(values['key-file'] as string) : await readToken(values, io, 'new token');
      const view = await api.replace(name, { username: (values.username as string | undefined) ?? current.username ?? '', secret, ...(expiresAt !== undefined ? { expiresAt } : {}) });
      if (values.json) printJson(io, statusJson(view));
      io.stderr(`Checked: ${view.registry} accepts the new ${stackit ? "service account's access token" : 'token'} of ${view.username}; it is in the keychain and in every place docker reads it.\n`);
      return exitCodes.ok;
    },
  },
  config: {
    summary: 'where Berth keeps secrets: the OS keychain, or a file for machines without one',
    usage: 'berth config secret-store <keychain|file> [--json]',
    flags: { json: jsonObject('{store, moved, warnings}') },
    examples: ['berth config secret-store file', 'berth config secret-store keychain'],
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
    flags: { json: jsonObject('{ok, findings: [{area, ok, message, remedy}]}') },
    examples: ['berth doctor', 'berth doctor --json'],
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

/** `--expires 2026-12-31` or `--expires-in 30d` (days; `h` hours): the date as ISO, or undefined when neither is given. */
function expiryFlag(values: Record<string, string | boolean | string[] | undefined>, now = Date.now()): string | undefined {
  const at = values.expires as string | undefined;
  const within = values['expires-in'] as string | undefined;
  if (at !== undefined && within !== undefined) throw usageError('Give --expires or --expires-in, not both.');
  if (within !== undefined) {
    const match = /^(\d+(?:\.\d+)?)\s*([dh])$/i.exec(within.trim());
    if (!match) throw usageError(`--expires-in takes a number of days or hours, like 30d or 12h, not "${within}".`);
    return new Date(now + Number(match[1]) * (match[2]?.toLowerCase() === 'h' ? 3_600_000 : 86_400_000)).toISOString();
  }
  return at;
}

/** The token from standard input (`--secret-stdin`), or asked for without echo on a terminal. */
async function readToken(values: Record<string, string | boolean | string[] | undefined>, io: CliIo, what: string): Promise<string> {
  if (values['secret-stdin']) {
    const secret = (await io.readStdin()).replace(/\r?\n$/, '');
    if (secret.length > maxSecretLength) throw usageError(`The ${what} on standard input is longer than ${maxSecretLength} characters.`);
    return secret;
  }
  if (!io.prompt) throw usageError(`Give the ${what} on standard input with --secret-stdin (there is no terminal to ask on).`);
  return io.prompt(`${what[0]?.toUpperCase()}${what.slice(1)} (not shown): `, { hidden: true });
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw usageError(`Cannot read the key file ${path}: ${errorMessage(error)}`);
  }
}

const tokenFlags: Record<string, Flag> = {
  url: { value: '<registry>', description: "the registry's address (what docker login takes); a bare host means https://" },
  username: { value: '<user>', description: 'the user name that goes with the token (a robot account is robot$<project>+<name>); asked for on a terminal when absent' },
  'secret-stdin': { description: 'read the token from standard input instead of asking for it (hidden) on a terminal' },
  expires: { value: '<date>', description: 'when the token expires, e.g. 2026-12-31; default: read from the token or from Harbor where possible' },
  'expires-in': { value: '<days>d', description: 'when the token expires, counted from now, e.g. 30d (the default of Harness\'s "Set up client")' },
  note: { value: '<text>', description: "the token's description at the registry; default for registries that want one token per machine: \"<hostname>, added by Berth <date>\"" },
  'ca-file': { value: '<pem>', description: 'a CA certificate (PEM) to trust for this registry' },
  'warn-days': { value: '<days>', description: 'days before the token expires at which the registry shows as expiring; default the preference (3)' },
  profile: { value: '<file>', description: 'a token registry profile from your administrator (JSON: url, name, where new tokens come from); flags win over its fields' },
  json: registryObject,
};

/** `berth add token` and `berth add stackit`: registries whose credential the person brings, checked before anything is stored. */
const addKinds: Record<string, Command> = {
  token: {
    summary: 'add a registry with a user name and token (robot account, personal access token, vendor token), checked before anything is stored',
    usage: 'berth add token <name> --url <registry> --username <user> [--secret-stdin] [--expires <date> | --expires-in 30d] [--note <text>] [--profile <file>] [--ca-file <pem>] [--warn-days 3] [--json]',
    flags: tokenFlags,
    examples: [
      'berth add token harness --url pkg.harness.io --username me@example.org --expires-in 30d',
      "printf %s \"$ROBOT_SECRET\" | berth add token ci --url harbor.example.org --username 'robot$team+ci' --secret-stdin",
      'berth add token thinkwise --url registry.thinkwisesoftware.com --username tw-1234 --note "laptop-7, added by Berth 2026-11-22"',
    ],
    async run({ positionals, values }, io) {
      const [, named, ...rest] = positionals;
      const profile = typeof values.profile === 'string' ? parseTokenProfile(readProfile(values.profile), values.profile) : undefined;
      const name = named ?? profile?.name;
      const url = (values.url as string | undefined) ?? profile?.url;
      if (!name || rest.length > 0) throw usageError('Name the registry: berth add token <name> --url <registry> --username <user>');
      if (!url) throw usageError('--url is required: the registry docker logs in to (a bare host means https).');
      const api = await io.createApi(io.env);
      const advice = api.tokenAdvice(url);
      if (advice.suggestedNote && values.note === undefined && !values['secret-stdin']) {
        io.stderr(`${advice.registry} wants one token per machine: describe this machine's token as "${advice.suggestedNote}".\n`);
      }
      let username = values.username as string | undefined;
      if (username === undefined) {
        if (!io.prompt) throw usageError('--username is required when there is no terminal to ask on.');
        username = await io.prompt(`User name at ${advice.registry}: `);
      }
      const expiresAt = expiryFlag(values);
      const secret = await readToken(values, io, 'token');
      const warnDays = values['warn-days'] !== undefined ? nonNegativeNumber(values['warn-days'] as string, '--warn-days') : profile?.warnDays;
      const { view, warnings } = await api.addRegistry({
        kind: 'token',
        name,
        url,
        username,
        secret,
        ...(profile ? { pointer: profile.pointer } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(typeof values.note === 'string' ? { note: values.note } : {}),
        ...(typeof values['ca-file'] === 'string' ? { caFile: values['ca-file'] } : {}),
        ...(warnDays !== undefined ? { warnDays } : {}),
      });
      let shown = view;
      if (view.expirySource === null && io.prompt && !values['secret-stdin']) {
        // The example is a date 30 days on (what most vendors' "Set up client" tokens last), never one already past.
        const example = localTime(Date.now() + 30 * 86_400_000).slice(0, 10);
        const answer = (await io.prompt(`When does the token expire? (e.g. ${example}, or Enter if you do not know): `)).trim();
        if (answer) shown = (await api.updateRegistry(name, { expiresAt: answer })).view;
      } else {
        for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
      }
      if (values.json) printJson(io, statusJson(shown));
      io.stderr(`Checked: ${shown.registry} accepts the token of ${shown.username}. It is in the keychain, and docker credentials for ${shown.registry} are in place.\n`);
      return exitCodes.ok;
    },
  },
  stackit: {
    summary: "add a STACKIT Container Registry through a service account's key (the key flow); Berth mints short-lived access tokens",
    usage: 'berth add stackit <name> --url <registry> --key-file <service-account-key.json> [--username <e-mail>] [--token-endpoint <URL>] [--min-token-seconds 300] [--ca-file <pem>] [--json]',
    flags: {
      url: { value: '<registry>', description: "the registry's address, e.g. registry.onstackit.cloud" },
      'key-file': { value: '<file>', description: 'the service-account key JSON from the STACKIT portal (with its private key); kept in the keychain, the file is not needed afterwards' },
      username: { value: '<e-mail>', description: "the user name the registry expects; default the service account's e-mail (credentials.iss)" },
      'token-endpoint': { value: '<URL>', description: "where the key's assertions go; default STACKIT_TOKEN_BASEURL, else the key's tokenEndpoint, else STACKIT's" },
      'min-token-seconds': { value: '<seconds>', description: 'an access token handed to docker has at least this long left; default 300' },
      'ca-file': { value: '<pem>', description: 'a CA certificate (PEM) to trust for this registry and the token endpoint' },
      json: jsonObject('the registry as one element of `berth status --json`, plus "warnings"'),
    },
    examples: ['berth add stackit stackit --url registry.onstackit.cloud --key-file ~/Downloads/sa-key.json', 'berth target stackit helper'],
    async run({ positionals, values }, io) {
      const [, name, ...rest] = positionals;
      if (!name || rest.length > 0) throw usageError('Name the registry: berth add stackit <name> --url <registry> --key-file <key file>');
      if (typeof values.url !== 'string') throw usageError('--url is required: the registry docker logs in to (e.g. registry.onstackit.cloud).');
      if (typeof values['key-file'] !== 'string') throw usageError('--key-file is required: the service-account key JSON from the STACKIT portal.');
      const api = await io.createApi(io.env);
      const { view, warnings } = await api.addRegistry({
        kind: 'stackit',
        name,
        url: values.url,
        key: readKeyFile(values['key-file']),
        ...(typeof values.username === 'string' ? { username: values.username } : {}),
        ...(typeof values['token-endpoint'] === 'string' ? { tokenEndpoint: values['token-endpoint'] } : {}),
        ...(values['min-token-seconds'] !== undefined ? { minTokenSeconds: positiveNumber(values['min-token-seconds'] as string, '--min-token-seconds') as number } : {}),
        ...(typeof values['ca-file'] === 'string' ? { caFile: values['ca-file'] } : {}),
      });
      if (values.json) printJson(io, { ...statusJson(view), warnings });
      for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
      io.stderr(`Checked: ${view.registry} accepts the service account's access token as ${view.username}. The key is in the keychain; you may delete the key file.\n`);
      return exitCodes.ok;
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
  chosen: string | null,
  values: Record<string, string | boolean | string[] | undefined>,
  openBrowser: ReturnType<typeof commandOpener>,
  io: CliIo,
): Promise<{ username: string; secret: string }> {
  let username = values.username as string | undefined;
  let secret: string;
  if (values['secret-stdin']) {
    secret = (await io.readStdin()).replace(/\r?\n$/, '');
    if (secret.length > maxSecretLength) throw usageError(`The CLI secret on standard input is longer than ${maxSecretLength} characters.`);
    if (username === undefined && chosen !== null) username = chosen;
    if (username === undefined) {
      if (!io.prompt) throw usageError('--secret-stdin needs --username (or `berth set <name> --username <user>`) when there is no terminal to ask on.');
      username = await io.prompt('Harbor username: ');
    }
    return { username, secret };
  }
  if (!io.prompt) {
    throw usageError(`${current.name} signs in through Harbor's web login: on a terminal Berth asks for your username and CLI secret; elsewhere pass --username and --secret-stdin.`);
  }
  const webLogin = new URL('c/oidc/login', `${current.url}/`).href;
  // Harbor's page only helps the person find the secret: a browser that does not open is no reason to stop.
  await openBrowser(webLogin).catch((error: unknown) => io.stderr(`${errorMessage(error)} Open ${webLogin} in a browser yourself.\n`));
  io.stderr("Log in to Harbor in the browser, then open your user menu (top right) → User Profile and copy the CLI secret.\n");
  if (username === undefined) {
    const known = chosen ?? current.username;
    username = (await io.prompt(`Harbor username${known ? ` [${known}]` : ''}: `)) || (known ?? '');
  }
  secret = await io.prompt('CLI secret (not shown): ', { hidden: true });
  return { username, secret };
}

/**
 * When `berth login` signs in with a code on another device: `--device`; by itself where no browser can open here (unless
 * `--browser-command` names one); else only when opening the browser fails.
 */
function deviceChoice(name: string, values: Record<string, string | boolean | string[] | undefined>, io: CliIo): DeviceSignInChoice {
  const reason = typeof values['browser-command'] === 'string' ? undefined : whyNoBrowser(io.env);
  const mode = values.device ? 'always' : reason ? 'no-browser' : 'fallback';
  return {
    when: mode,
    ...(reason ? { reason } : {}),
    show: async (code) => {
      if (mode !== 'always') io.stderr(`${mode === 'no-browser' ? reason : 'The browser did not open'}: signing in to ${name} with a code instead.\n`);
      io.stderr(`To sign in, open this page on any device with a browser:\n  ${code.verificationUri}\nand enter the code:  ${code.userCode}\n`);
      if (code.verificationUriComplete) io.stderr(`(or open ${code.verificationUriComplete}, which has the code filled in${io.qrCode ? '; or scan it:' : ''})\n`);
      if (code.verificationUriComplete && io.qrCode) io.stderr(`${await io.qrCode(code.verificationUriComplete)}\n`);
      io.stderr(`The code expires ${when(code.expiresAt.toISOString(), now(io))}. Waiting for the sign-in…\n`);
    },
    openElsewhere: async (url) => {
      io.stderr(`Harbor's own session must be renewed too: open ${url} in the browser where you just signed in. Berth waits up to two minutes.\n`);
    },
  };
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
  // `berth add token` and `berth add stackit` have flags of their own.
  const command = name === 'add' && rest[0] !== undefined && rest[0] in addKinds ? addKinds[rest[0]] : commands[name];
  if (!command) {
    io.stderr(`berth: unknown command "${name}".\n\n${overview()}\n`);
    return exitCodes.usage;
  }
  try {
    const { positionals, values } = parseArgs({ args: rest, options: parserOptions(command.flags), allowPositionals: true, strict: true });
    if (values.help) {
      io.stdout(`${commandHelp(command)}\n`);
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
    io.stderr(parsing ? `berth ${name}: ${flagProblem(errorMessage(error), name)}\n` : failureLine(name, error));
    if (usage) {
      io.stderr(`Usage: ${command.usage}\n`);
      return exitCodes.usage;
    }
    return exitCodes.failure;
  }
}
