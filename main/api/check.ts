import { BerthError } from '../errors.js';
import { berthHelper, hostOf, registryKey } from '../credentials/docker-config.js';
import type { DockerSource, FoundCredential } from '../credentials/docker-credentials.js';
import { harborWebLoginUrl } from '../harbor/client.js';
import type { Logger } from '../log/logger.js';
import { isLoopbackHost } from '../net/http.js';
import { nodeRequest } from '../net/node-request.js';
import type { ChallengeCache } from '../registry/challenge-cache.js';
import { checkPull, type CheckResult } from '../registry/pull-check.js';
import { parseReference, type ImageReference } from '../registry/reference.js';
import { keychainTokenCache, type RegistryTokenCache } from '../registry/token-cache.js';
import { credentialSecretKind, type SecretStore } from '../secrets/keychain.js';
import type { RegistrySettings } from '../settings/model.js';
import type { SettingsStore, StatusStore } from '../settings/stores.js';
import type { ActivityEntry } from './contract.js';
import { registryView } from './registry-view.js';

export interface CheckOptions {
  /** Plain http to a registry that is not on loopback. */
  insecure?: boolean;
}

/** What a check reads and where it reports; the full API gives all of it, `berth check`'s quick start only what it loads fast. */
export interface CheckDependencies {
  settings: Pick<SettingsStore, 'find' | 'registries' | 'preferences'>;
  status: Pick<StatusStore, 'get'>;
  secrets: SecretStore;
  challenges?: ChallengeCache | undefined;
  log: Pick<Logger, 'info'>;
  now: () => Date;
  /** Puts in place the new secret an interrupted regenerate of these registries left waiting. */
  settleJournals(names: string[]): Promise<void>;
  /** The secret a registry's method makes when asked (a STACKIT access token), or undefined: the keychain's is the one. */
  currentSecret(registry: RegistrySettings): Promise<string | undefined>;
  /** Where docker gets its credential for a registry, from its config alone. */
  dockerSource(host: string): DockerSource;
  /** What a credential helper other than Berth's answers docker for a registry. */
  helperCredential(helper: string, host: string): Promise<FoundCredential | undefined>;
  /** Whether docker finds this program on PATH. */
  onPath(program: string): boolean;
  note(registry: string | null, kind: ActivityEntry['kind'], text: string): void;
}

/**
 * What docker would send to `host` (Berth's own helper answers with `kept`), and, for when that is not what Berth keeps for
 * the registry `name`, why in words and what puts it right.
 */
async function dockerSends(deps: CheckDependencies, host: string, kept: FoundCredential | undefined): Promise<{ credential: FoundCredential | undefined; differs: (name: string) => string }> {
  const refresh = (name: string) => `\`berth refresh ${name}\` writes it back`;
  const source = deps.dockerSource(host);
  if (source.from === 'config.json') {
    return { credential: source.credential, differs: (name) => `docker's config.json holds another credential for ${host} (of ${source.credential.username}) than the one Berth keeps for ${name}: ${refresh(name)}.` };
  }
  if (source.from === 'nothing') return { credential: undefined, differs: (name) => `docker's config.json has no credential for ${host}, although Berth keeps one for ${name} (a \`docker logout\`?): ${refresh(name)}.` };
  if (source.helper === berthHelper) {
    const onPath = deps.onPath(`docker-credential-${berthHelper}`);
    return { credential: onPath ? kept : undefined, differs: (name) => `docker asks docker-credential-berth for ${host}, which is not on PATH: put it on PATH, or have docker's config hold the credential itself with \`berth target ${name} config\`.` };
  }
  const found = await deps.helperCredential(source.helper, host);
  const holds = (name: string) => (found ? `another credential for ${host} than the one Berth keeps for ${name}` : `no credential for ${host}, although Berth keeps one for ${name}`);
  return { credential: found, differs: (name) => `docker's credential helper "${source.helper}" holds ${holds(name)}: ${refresh(name)}.` };
}

const sameCredential = (a: FoundCredential | undefined, b: FoundCredential): boolean => a !== undefined && a.username === b.username && a.secret === b.secret;

/** "Will `docker pull <reference>` work?" with the credentials docker would use; a registry alone checks the login. */
export async function checkImage(deps: CheckDependencies, input: string, options: CheckOptions = {}): Promise<CheckResult> {
  const named = deps.settings.find(input.trim());
  const reference: ImageReference = named ? { registry: hostOf(named.url) } : parseReference(input);
  const key = registryKey(reference.registry);
  const managed = named ?? deps.settings.registries().find((registry) => registryKey(hostOf(registry.url)) === key);
  // A regenerate that was interrupted left its new secret waiting: put it in place before checking with it.
  if (managed && deps.status.get(managed.name).pendingSecretSince) await deps.settleJournals([managed.name]);
  let kept: FoundCredential | undefined;
  let rejectionRemedy: { text: string; actionUrl?: string } | undefined;
  let tokens: RegistryTokenCache | undefined;
  let savedTokens: Promise<string | null> | undefined;
  if (managed) {
    // Read after any settling: the record the check's credentials come from.
    const current = registryView(managed, deps.status.get(managed.name), deps.settings.preferences(), deps.now().getTime());
    // Reuse a recent registry token only while Berth knows the credential is good: a dead secret must not look alive.
    const reuse = current.username !== null && (current.state === 'valid' || current.state === 'expiring');
    // Read beside the credential, not after it: two keychain round trips at once.
    savedTokens = reuse ? deps.secrets.get(managed.name, 'registry-tokens') : undefined;
    // A failed read of the credential is the check's error; this one's, if any, is met where it is awaited.
    savedTokens?.catch(() => undefined);
    const made = current.username && current.state !== 'signed-out' ? await deps.currentSecret(managed) : undefined;
    const secret = !current.username ? null : (made ?? (await deps.secrets.get(managed.name, credentialSecretKind(managed.kind), { expected: current.state !== 'signed-out' })));
    if (current.username && secret) kept = { username: current.username, secret, source: `berth:${managed.name}` };
    if (current.pointer) rejectionRemedy = { text: current.pointer.where, ...(current.pointer.url ? { actionUrl: current.pointer.url } : {}) };
    if (managed.kind === 'harbor') {
      const webLogin = harborWebLoginUrl(managed.url);
      rejectionRemedy = {
        text: `The Harbor session behind this CLI secret has expired (or the secret was regenerated elsewhere): log in at ${webLogin}, then run \`berth refresh ${managed.name}\`.`,
        actionUrl: webLogin,
      };
    }
  }
  // What docker itself sends, which is Berth's credential only while docker's config still leads to it.
  const sent = await dockerSends(deps, reference.registry, kept);
  const credential = kept && sameCredential(sent.credential, kept) ? kept : sent.credential;
  let diverged: string | undefined;
  if (managed && kept && credential === kept) {
    if (savedTokens) tokens = await keychainTokenCache(deps.secrets, managed.name, kept, () => deps.now().getTime(), savedTokens);
  } else if (managed && kept) {
    // docker logged out, or logged in with another secret, since Berth last wrote its config: docker's answer is the one that counts.
    diverged = sent.differs(managed.name);
    rejectionRemedy = { text: diverged };
  }
  const apiHost = new URL(`http://${reference.registry}`).hostname;
  if (options.insecure && credential && !isLoopbackHost(apiHost)) {
    // design.md: credentials never travel over plain http, except to this machine.
    throw new BerthError(
      'usage',
      `--insecure means plain http, which Berth allows only for registries on this machine (localhost, 127.0.0.0/8, ::1): it would send the credentials of ${credential.username} for ${reference.registry} unencrypted. Use https, with \`berth set <name> --ca-file <pem>\` for a private CA.`,
    );
  }
  let result = await checkPull(reference, {
    fetch: nodeRequest({ caFile: managed?.caFile }),
    credential,
    ...(options.insecure ? { insecure: true } : {}),
    challenges: deps.challenges,
    ownRealmOnly: managed?.kind === 'harbor',
    rejectionRemedy,
    missingRemedy: diverged,
    tokens,
  });
  // A pull docker's own credential fails says why it is not Berth's, whatever the registry answered.
  if (diverged && result.verdict !== 'will-work' && result.verdict !== 'login-ok' && !result.message.includes(diverged)) result = { ...result, message: `${result.message} ${diverged}` };
  deps.log.info('check', { reference: result.reference, verdict: result.verdict, source: result.credentialSource });
  deps.note(managed?.name ?? null, result.verdict === 'will-work' || result.verdict === 'login-ok' ? 'action' : 'problem', `Checked ${result.reference}: ${result.message}`);
  return result;
}
