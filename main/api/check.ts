import { BerthError } from '../errors.js';
import { hostOf, registryKey } from '../credentials/docker-config.js';
import type { FoundCredential } from '../credentials/docker-credentials.js';
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
  /** What docker would send to a registry Berth does not manage. */
  dockerCredential(host: string): Promise<FoundCredential | undefined>;
  note(registry: string | null, kind: ActivityEntry['kind'], text: string): void;
}

/** "Will `docker pull <reference>` work?" with the credentials docker would use; a registry alone checks the login. */
export async function checkImage(deps: CheckDependencies, input: string, options: CheckOptions = {}): Promise<CheckResult> {
  const named = deps.settings.find(input.trim());
  const reference: ImageReference = named ? { registry: hostOf(named.url) } : parseReference(input);
  const key = registryKey(reference.registry);
  const managed = named ?? deps.settings.registries().find((registry) => registryKey(hostOf(registry.url)) === key);
  // A regenerate that was interrupted left its new secret waiting: put it in place before checking with it.
  if (managed && deps.status.get(managed.name).pendingSecretSince) await deps.settleJournals([managed.name]);
  let credential: FoundCredential | undefined;
  let rejectionRemedy: { text: string; actionUrl?: string } | undefined;
  let tokens: RegistryTokenCache | undefined;
  if (managed) {
    // Read after any settling: the record the check's credentials come from.
    const current = registryView(managed, deps.status.get(managed.name), deps.settings.preferences(), deps.now().getTime());
    // Reuse a recent registry token only while Berth knows the credential is good: a dead secret must not look alive.
    const reuse = current.username !== null && (current.state === 'valid' || current.state === 'expiring');
    // Read beside the credential, not after it: two keychain round trips at once.
    const savedTokens = reuse ? deps.secrets.get(managed.name, 'registry-tokens') : undefined;
    // A failed read of the credential is the check's error; this one's, if any, is met where it is awaited.
    savedTokens?.catch(() => undefined);
    const made = current.username && current.state !== 'signed-out' ? await deps.currentSecret(managed) : undefined;
    const secret = !current.username ? null : (made ?? (await deps.secrets.get(managed.name, credentialSecretKind(managed.kind), { expected: current.state !== 'signed-out' })));
    if (current.username && secret) {
      credential = { username: current.username, secret, source: `berth:${managed.name}` };
      if (savedTokens) tokens = await keychainTokenCache(deps.secrets, managed.name, credential, () => deps.now().getTime(), savedTokens);
    }
    if (current.pointer) rejectionRemedy = { text: current.pointer.where, ...(current.pointer.url ? { actionUrl: current.pointer.url } : {}) };
    if (managed.kind === 'harbor') {
      const webLogin = harborWebLoginUrl(managed.url);
      rejectionRemedy = {
        text: `The Harbor session behind this CLI secret has expired (or the secret was regenerated elsewhere): log in at ${webLogin}, then run \`berth refresh ${managed.name}\`.`,
        actionUrl: webLogin,
      };
    }
  } else {
    credential = await deps.dockerCredential(reference.registry);
  }
  const apiHost = new URL(`http://${reference.registry}`).hostname;
  if (options.insecure && credential && !isLoopbackHost(apiHost)) {
    // design.md: credentials never travel over plain http, except to this machine.
    throw new BerthError(
      'usage',
      `--insecure means plain http, which Berth allows only for registries on this machine (localhost, 127.0.0.0/8, ::1): it would send the credentials of ${credential.username} for ${reference.registry} unencrypted. Use https, with \`berth set <name> --ca-file <pem>\` for a private CA.`,
    );
  }
  const result = await checkPull(reference, {
    fetch: nodeRequest({ caFile: managed?.caFile }),
    credential,
    ...(options.insecure ? { insecure: true } : {}),
    challenges: deps.challenges,
    ownRealmOnly: managed?.kind === 'harbor',
    rejectionRemedy,
    tokens,
  });
  deps.log.info('check', { reference: result.reference, verdict: result.verdict, source: result.credentialSource });
  deps.note(managed?.name ?? null, result.verdict === 'will-work' || result.verdict === 'login-ok' ? 'action' : 'problem', `Checked ${result.reference}: ${result.message}`);
  return result;
}
