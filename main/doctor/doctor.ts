import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { berthHelper, dockerConfigPath } from '../credentials/docker-config.js';
import { findOnPath } from '../credentials/find-on-path.js';
import { parseJsonObject, readJsonDocument, type JsonObject } from '../credentials/json-file.js';
import { BerthError, errorMessage } from '../errors.js';
import { httpClient, isLoopbackHost, tlsFailure, whyUnreachable } from '../net/http.js';
import { checkedCaFile } from '../providers/registry-address.js';
import { secretStoreKind } from '../secrets/chosen-store.js';
import { keychainProbe } from '../secrets/keychain.js';
import { fileStoreHint, noSessionBus } from '../secrets/no-keyring.js';
import type { RegistrySettings, SecretStoreKind, StatusData } from '../settings/model.js';
import { configDir, configDirProblem, secretsFile } from '../settings/paths.js';
import { readBerthFiles, savedSecretStore } from '../settings/quick-read.js';

export type DoctorArea = 'settings' | 'keychain' | 'docker-config' | 'credential-helper' | 'network' | 'clock' | 'registry';

/** One thing `berth doctor` looked at; a problem always says what to do next. */
export interface DoctorFinding {
  area: DoctorArea;
  ok: boolean;
  message: string;
  remedy?: string;
}

export interface DoctorOptions {
  env: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  now?: () => number;
  /** How long one probe (keychain, HTTP) may take before it counts as unreachable. */
  timeoutMs?: number;
}

// Token lifetimes are checked to the second at the provider and at Harbor; half a minute off already shows.
const maxSkewMs = 30_000;

const ok = (area: DoctorArea, message: string): DoctorFinding => ({ area, ok: true, message });
const problem = (area: DoctorArea, message: string, remedy: string): DoctorFinding => ({ area, ok: false, message, remedy });

async function readSettings(dir: string): Promise<{ findings: DoctorFinding[]; registries: RegistrySettings[]; status: StatusData['registries'] }> {
  try {
    const files = await readBerthFiles(dir);
    const registries = files.settings.registries ?? [];
    const unsafe = configDirProblem(dir);
    const permissions = unsafe ? [problem('settings', unsafe, `Run \`chmod 700 ${dir}\`, and check that nothing in it was changed by someone else.`)] : [];
    return { findings: [ok('settings', `Berth's settings in ${dir}: ${registries.length} registr${registries.length === 1 ? 'y' : 'ies'}.`), ...permissions], registries, status: files.status.registries ?? {} };
  } catch (error) {
    return { findings: [problem('settings', errorMessage(error), 'Fix the JSON, or move the file away to start over; Berth does not rewrite a file it cannot read.')], registries: [], status: {} };
  }
}

function keychainRemedy(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string {
  if (platform === 'darwin') return 'Unlock the login keychain (Keychain Access), then run `berth doctor` again.';
  if (platform === 'win32') return 'Make sure Windows Credential Manager is available for your user, then run `berth doctor` again.';
  // Without a session bus no keyring daemon can be started: `gnome-keyring-daemon --start` would fail too.
  if (noSessionBus(env, platform)) return `${fileStoreHint} For a keyring instead, run Berth inside a D-Bus session (\`dbus-run-session -- $SHELL\`, then \`gnome-keyring-daemon --unlock\`).`;
  return `Start and unlock a Secret Service keyring: log in to a desktop session, or run \`gnome-keyring-daemon --start --components=secrets\` (KeePassXC with Secret Service works too). ${fileStoreHint}`;
}

/** The reason without the advice the keychain's own message carries: the doctor gives its fix on a line of its own. */
function firstSentence(reason: string): string {
  return `${reason.split(/(?<=\.) /)[0]?.replace(/\.$/, '') ?? reason}.`;
}

// A write and a delete, not a listing: keytar's listing crashes the process on a locked Secret Service collection.
async function checkKeychain(dir: string, platform: NodeJS.Platform, timeoutMs: number): Promise<DoctorFinding> {
  try {
    await keychainProbe(dir, { timeoutMs });
    return ok('keychain', 'The OS keychain answers and takes new entries.');
  } catch (error) {
    // The keychain's own reason, not the sentence about the doctor's test entry wrapped around it.
    const reason = errorMessage(error instanceof Error && error.cause instanceof Error ? error.cause : error);
    return problem('keychain', `Cannot use the OS keychain: ${firstSentence(reason)}`, keychainRemedy(platform, process.env));
  }
}

/** The store settings.json and BERTH_SECRET_STORE choose; a wrong value is the keychain's finding to report. */
async function chosenStore(dir: string, env: NodeJS.ProcessEnv): Promise<SecretStoreKind> {
  try {
    return secretStoreKind(env, await savedSecretStore(dir));
  } catch {
    return 'keychain';
  }
}

/** The explicit file store: there, readable by this user alone, and readable as JSON. */
function checkSecretsFile(dir: string): DoctorFinding {
  const path = secretsFile(dir);
  const chmod = `Run \`chmod 700 ${dirname(path)} && chmod 600 ${path}\`; Berth writes it 0600 in a 0700 folder.`;
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    return ok('keychain', `Secrets go to the file ${path} (berth config secret-store file); it is created at the first sign-in.`);
  }
  const folderMode = statSync(dirname(path)).mode & 0o777;
  if (mode !== 0o600 || folderMode !== 0o700) return problem('keychain', `${path} (mode ${mode.toString(8)}, its folder ${folderMode.toString(8)}) can be read by others than you.`, chmod);
  try {
    parseJsonObject(readFileSync(path, 'utf8'), path);
  } catch (error) {
    return problem('keychain', errorMessage(error), `Restore ${path} from a backup, or move it away and sign in again to each registry.`);
  }
  return ok('keychain', `Secrets are in the file ${path} (berth config secret-store file), readable by you alone.`);
}

function helpersNamed(config: JsonObject): string[] {
  const named = typeof config.credsStore === 'string' && config.credsStore ? [config.credsStore] : [];
  const helpers = config.credHelpers !== null && typeof config.credHelpers === 'object' ? Object.values(config.credHelpers as JsonObject) : [];
  return [...new Set([...named, ...helpers.filter((helper): helper is string => typeof helper === 'string' && helper !== '')])];
}

function checkDockerConfig(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, registries: RegistrySettings[]): DoctorFinding[] {
  const path = dockerConfigPath(env);
  let config: JsonObject = {};
  const findings: DoctorFinding[] = [];
  try {
    const document = readJsonDocument(path);
    config = document.data;
    findings.push(ok('docker-config', document.exists ? `docker's config ${path} parses.` : `docker's config ${path} does not exist yet; Berth creates it at sign-in.`));
  } catch (error) {
    findings.push(problem('docker-config', errorMessage(error), 'Fix the JSON (docker cannot read it either), then run `berth refresh` to write the credentials again.'));
  }
  const helpers = helpersNamed(config);
  for (const helper of helpers.filter((name) => name !== berthHelper)) {
    if (!findOnPath(`docker-credential-${helper}`, env, platform)) {
      findings.push(
        problem('credential-helper', `${path} names the credential helper "${helper}", but docker-credential-${helper} is not on PATH: docker cannot get credentials through it.`, `Install docker-credential-${helper}, or remove "${helper}" from "credsStore"/"credHelpers" in ${path}.`),
      );
    }
  }
  const needsBerth = helpers.includes(berthHelper) || registries.some((registry) => registry.target === 'helper');
  const berth = findOnPath(`docker-credential-${berthHelper}`, env, platform);
  if (berth) findings.push(ok('credential-helper', `docker-credential-berth is on PATH (${berth}).`));
  else if (needsBerth) {
    const users = registries.filter((registry) => registry.target === 'helper').map((registry) => registry.name);
    findings.push(
      problem(
        'credential-helper',
        `docker-credential-berth is not on PATH, but docker is told to ask it${users.length > 0 ? ` (${users.join(', ')} use target "helper")` : ''}: docker pull gets no credentials.`,
        `Put docker-credential-berth on PATH (\`npm link\` in Berth's checkout, or the packaged app's bin folder), or switch back with \`berth target ${users[0] ?? '<name>'} config\`.`,
      ),
    );
  } else findings.push(ok('credential-helper', 'docker-credential-berth is not on PATH; it is needed only for `berth target <name> helper` and docker login through Berth.'));
  return findings;
}

/** A registry's CA file that is gone, unreadable or no PEM: every request to it fails until it is fixed. */
function caFileProblem(registry: RegistrySettings): DoctorFinding | undefined {
  if (!registry.caFile) return undefined;
  try {
    checkedCaFile(registry.caFile, registry.name);
    return undefined;
  } catch (error) {
    return problem(
      'settings',
      errorMessage(error),
      `Put the CA's certificate (PEM) back at ${registry.caFile}, or point Berth at it with \`berth set ${registry.name} --ca-file <ca.pem>\` (\`--ca-file ""\` trusts only this machine's CAs).`,
    );
  }
}

interface Probe {
  registry: string;
  what: string;
  url: string;
  caFile: string | undefined;
}

function probesFor(registry: RegistrySettings): Probe[] {
  const base = { registry: registry.name, caFile: registry.caFile };
  if (registry.kind === 'harbor') {
    // A registry that signs in through Harbor's web login may not know its identity provider: then only Harbor is asked.
    const issuer = typeof registry.issuer === 'string' ? [{ ...base, what: 'identity provider', url: `${registry.issuer}/.well-known/openid-configuration` }] : [];
    return [...issuer, { ...base, what: 'Harbor', url: new URL('/api/v2.0/systeminfo', registry.url).href }];
  }
  const host = new URL(registry.url).host;
  const scheme = isLoopbackHost(new URL(registry.url).hostname) ? 'http' : 'https';
  return [{ ...base, what: 'registry', url: `${scheme}://${host}/v2/` }];
}

async function checkReachable(probe: Probe, timeoutMs: number): Promise<{ finding: DoctorFinding; serverDate?: number; host: string }> {
  const host = new URL(probe.url).host;
  try {
    const response = await httpClient({ caFile: probe.caFile, timeoutMs })(probe.url, { method: 'GET', redirect: 'manual' });
    await response.body?.cancel();
    const date = Date.parse(response.headers.get('date') ?? '');
    const answered = `${probe.registry}: the ${probe.what} at ${host} answers (HTTP ${response.status}).`;
    // Any HTTP answer means the network path works; only a 5xx says the service itself is down.
    const finding =
      response.status >= 500
        ? problem('network', `${probe.registry}: the ${probe.what} at ${host} answers HTTP ${response.status}.`, `The ${probe.what} is having trouble; try again later or tell its administrator.`)
        : ok('network', answered);
    return { finding, host, ...(Number.isNaN(date) ? {} : { serverDate: date }) };
  } catch (error) {
    // A certificate problem is no network problem: its own cause, its own fix.
    const tls = tlsFailure(error, probe.url, probe.registry);
    if (tls) return { finding: problem('network', `${probe.registry}: the ${probe.what} at ${host} failed the TLS check (${tls.code}).`, tls.advice), host };
    const moved = `If the ${probe.what} moved to another address, \`berth remove ${probe.registry}\` and add it again with the new URL.`;
    if (error instanceof BerthError) return { finding: problem('network', `${probe.registry}: cannot reach the ${probe.what} at ${host}: ${errorMessage(error)}`, moved), host };
    // A refused port or an unknown name is no network trouble: the advice says what it is.
    const { reason, advice } = whyUnreachable(error, probe.url);
    return { finding: problem('network', `${probe.registry}: cannot reach the ${probe.what} at ${host} (${reason}).`, `${advice} ${moved}`), host };
  }
}

function checkClock(samples: { host: string; serverDate?: number }[], localNow: number): DoctorFinding | undefined {
  const dated = samples.filter((sample): sample is { host: string; serverDate: number } => sample.serverDate !== undefined);
  if (dated.length === 0) return undefined;
  const worst = dated.reduce((a, b) => (Math.abs(b.serverDate - localNow) > Math.abs(a.serverDate - localNow) ? b : a));
  const skew = localNow - worst.serverDate;
  const seconds = Math.round(Math.abs(skew) / 1000);
  if (Math.abs(skew) <= maxSkewMs) return ok('clock', `This machine's clock agrees with ${dated.length === 1 ? worst.host : `${dated.length} servers`} (within ${Math.max(seconds, 1)} s).`);
  return problem(
    'clock',
    `This machine's clock is ${seconds} s ${skew > 0 ? 'ahead of' : 'behind'} ${worst.host}: tokens may look expired or not yet valid.`,
    'Turn on network time (Linux: `timedatectl set-ntp true`; macOS and Windows: set the time automatically in the system settings).',
  );
}

/** What fixes a registry's failed sign-in or pass, by the state it left behind. */
function stateRemedy(registry: RegistrySettings, record: StatusData['registries'][string]): string {
  if (record.state === 'rejected') return `Get a new ${registry.kind === 'stackit' ? 'service-account key' : 'token'}${record.actionUrl ? ` (${record.actionUrl})` : ''}, then run \`berth replace ${registry.name}\`.`;
  if (record.actionUrl) return `Open ${record.actionUrl}, then run \`berth refresh ${registry.name}\`.`;
  if (registry.kind !== 'harbor') return `Run \`berth refresh ${registry.name}\` once the registry answers again.`;
  if (record.state === 'signed-out') return `Fix what the message says, then run \`berth login ${registry.name}\` again.`;
  if (record.state === 'offline') return `Berth retries by itself, backing off up to an hour; once ${new URL(registry.url).host} and its identity provider answer again, \`berth refresh ${registry.name}\` checks at once.`;
  if (record.state === 'keychain-locked') return `Unlock the keychain, then run \`berth refresh ${registry.name}\`.`;
  return `Run \`berth login ${registry.name}\`.`;
}

/** Every registry whose last sign-in or pass failed, with the reason Berth stored (a failed first sign-in leaves it signed out). */
function checkStates(registries: RegistrySettings[], status: StatusData['registries']): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  for (const registry of registries) {
    const record = status[registry.name];
    if (!record) continue;
    const failed = ['needs-sign-in', 'needs-web-login', 'rejected', 'keychain-locked', 'error', 'offline'].includes(record.state) || (record.state === 'signed-out' && record.lastError !== undefined);
    if (!failed) continue;
    const what = record.state === 'signed-out' ? 'is signed out; its last sign-in failed' : `is ${record.state}`;
    findings.push(problem('registry', `${registry.name} ${what}${record.lastError ? `: ${record.lastError}` : '.'}`, stateRemedy(registry, record)));
  }
  return findings;
}

/** Checks what Berth depends on, each with its own finding; it changes nothing. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorFinding[]> {
  const { env } = options;
  const platform = options.platform ?? process.platform;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  const dir = configDir(env, platform);
  const settings = await readSettings(dir);
  const caFiles = settings.registries.map((registry) => ({ registry, problem: caFileProblem(registry) }));
  // Without its CA a registry's probes would only repeat the CA file's problem.
  const probes = caFiles.filter((entry) => !entry.problem).flatMap((entry) => probesFor(entry.registry));
  const secrets = async () => ((await chosenStore(dir, env)) === 'file' ? checkSecretsFile(dir) : checkKeychain(dir, platform, timeoutMs));
  const [keychain, reached] = await Promise.all([secrets(), Promise.all(probes.map((probe) => checkReachable(probe, timeoutMs)))]);
  const clock = checkClock(reached, now());
  return [
    ...settings.findings,
    ...caFiles.flatMap((entry) => (entry.problem ? [entry.problem] : [])),
    keychain,
    ...checkDockerConfig(env, platform, settings.registries),
    ...reached.map((result) => result.finding),
    ...(clock ? [clock] : []),
    ...checkStates(settings.registries, settings.status),
  ];
}
