import { setTimeout as sleep } from 'node:timers/promises';
import type { AddRegistryInput } from '../api/contract.js';
import { hostOf } from '../credentials/docker-config.js';
import { dockerUsernameProblem } from '../credentials/username.js';
import { BerthError } from '../errors.js';
import { requireSecureUrl } from '../net/http.js';
import { nodeRequest } from '../net/node-request.js';
import { checkRegistryCredential, registryAuth } from '../registry/credential-check.js';
import { defaultMinTokenSeconds, type StackitRegistrySettings } from '../settings/model.js';
import { freshAccessToken, type StackitTokenSource } from '../stackit/access-token.js';
import { keychainForm, parseServiceAccountKey, defaultTokenEndpoint, type ServiceAccountKey } from '../stackit/key.js';
import { mintAccessToken, stackitPortal } from '../stackit/key-flow.js';
import type { AddContext, CredentialMethod, MethodDependencies, Prepared, SessionOutcome, SignedIn, SignedInSession, SignInRequest } from './method.js';
import { asUsage, caFileOf, commonNumbers, registryOrigin } from './registry-address.js';
import { replaceHint, tokenPointer } from './token-pointers.js';

export function tokenSource(registry: StackitRegistrySettings): StackitTokenSource {
  return { name: registry.name, tokenEndpoint: registry.tokenEndpoint, caFile: registry.caFile, minTokenSeconds: registry.minTokenSeconds ?? defaultMinTokenSeconds };
}

/** The token endpoint as the SDK chooses it (key_flow.go, auth.go): one given, else `STACKIT_TOKEN_BASEURL`, else the key's `tokenEndpoint`, else STACKIT's. */
function tokenEndpointFor(given: string | undefined, key: ServiceAccountKey, name: string): string {
  const chosen = given ?? process.env.STACKIT_TOKEN_BASEURL ?? key.tokenEndpoint ?? defaultTokenEndpoint;
  return asUsage(() => requireSecureUrl(chosen, `The token endpoint of ${name}`)).href;
}

/** A key minted a token and the registry took it with this user name: the credential to store. */
async function checkedKey(registry: StackitRegistrySettings, key: ServiceAccountKey, username: string): Promise<SignedIn> {
  const problem = dockerUsernameProblem(username);
  if (problem) throw new BerthError('usage', `The user name for ${registry.name} ${problem}.`, { registry: registry.name });
  const minted = await mintAccessToken(registry.tokenEndpoint, key, registry.name, registry.caFile ? { caFile: registry.caFile } : {});
  const fetch = nodeRequest({ caFile: registry.caFile });
  const host = hostOf(registry.url);
  const auth = await registryAuth(fetch, registry.url, registry.name);
  if ((await checkRegistryCredential(fetch, registry.url, auth, username, minted.token, registry.name)) === 'rejected') {
    throw new BerthError(
      'rejected',
      `${host} rejected the access token of the service account ${key.iss} as "${username}"; nothing was stored. Is a robot account in the Container Registry linked to this service account? ` +
        'Link it there (with the service account\'s e-mail and id), or give the user name the registry expects with --username.',
      { registry: registry.name },
    );
  }
  return {
    host,
    username,
    cliSecret: minted.token,
    accepted: true,
    notices: [],
    keep: [{ kind: 'service-account-key', value: keychainForm(key) }],
    accessTokenExpiresAt: minted.expiresAt,
    ...(key.validUntil ? { expiresAt: key.validUntil, expirySource: 'key' as const } : {}),
    message:
      `Checked: ${host} accepts the access token of the service account ${key.iss} as ${username}. The key is in the keychain (the key file is no longer needed), ` +
      `and Berth mints a new access token before each one expires.`,
  };
}

async function prepare(given: AddRegistryInput, context: AddContext): Promise<Prepared> {
  if (given.kind !== 'stackit') throw new BerthError('usage', `${given.name} is not a STACKIT registry.`);
  const url = registryOrigin(given.url, given.name, 'registry');
  context.requireFreeHost(url.host);
  const key = parseServiceAccountKey(given.key, 'The service-account key file');
  if (given.minTokenSeconds !== undefined && !(given.minTokenSeconds > 0)) throw new BerthError('usage', `--min-token-seconds for ${given.name} must be a positive number of seconds.`);
  const caFile = caFileOf(given.caFile, given.name);
  const registry: StackitRegistrySettings = {
    name: given.name,
    kind: 'stackit',
    url: url.origin,
    target: context.preferences.target,
    tokenEndpoint: tokenEndpointFor(given.tokenEndpoint, key, given.name),
    ...(caFile ? { caFile } : {}),
    ...commonNumbers(given, given.name),
    ...(given.minTokenSeconds !== undefined ? { minTokenSeconds: given.minTokenSeconds } : {}),
  };
  const signedIn = await checkedKey(registry, key, given.username?.trim() || key.iss);
  const warnings =
    registry.target === 'config'
      ? [`Docker's copy of a STACKIT access token lives only minutes: Berth renews it in docker's config before it expires while Berth runs (the app, or \`berth keepalive\`). With \`berth target ${given.name} helper\` docker asks Berth at each pull and always gets a fresh one.`]
      : [];
  return { registry, warnings, added: `Added ${url.host} with the STACKIT service account ${key.iss}.`, signedIn };
}

/** Replace: a new key file (its JSON as the pasted secret), checked before it replaces the old key. */
async function signIn<T>(registry: StackitRegistrySettings, request: SignInRequest<T>): Promise<T> {
  if (!request.pasted) throw new BerthError('usage', `Give ${registry.name} a new key: \`berth replace ${registry.name} --key-file <key file>\`.`, { registry: registry.name });
  const key = parseServiceAccountKey(request.pasted.secret, 'The service-account key file');
  return (await request.complete(await checkedKey(registry, key, request.pasted.username.trim() || key.iss))).value;
}

function rejected(registry: StackitRegistrySettings, username: string, why: string): SessionOutcome {
  const pointer = tokenPointer(registry);
  return { state: 'rejected', keptAlive: false, username, lastError: `${why} ${pointer.where} ${replaceHint(registry.name, 'stackit')}`, actionUrl: pointer.url ?? stackitPortal };
}

/**
 * A pass: a new access token (for the `config` target, docker's copy is rewritten), then the registry asked whether it
 * takes it. A deleted or revoked key is `rejected`; an unreachable endpoint is offline.
 */
async function keepAlive(registry: StackitRegistrySettings, { username }: SignedInSession, deps: MethodDependencies): Promise<SessionOutcome> {
  const user = username ?? '';
  let fresh;
  try {
    // Minting is the check of the key: a deleted or revoked one shows now, not when the cached token runs out.
    fresh = await freshAccessToken(tokenSource(registry), deps.secrets, { force: true });
  } catch (error) {
    if (error instanceof BerthError && error.code === 'rejected') return rejected(registry, user, error.message);
    throw error;
  }
  const writtenTo = (registry.target ?? 'config') === 'config' ? await deps.writeCredential(user, fresh.token) : undefined;
  const fetch = nodeRequest({ caFile: registry.caFile });
  const auth = await registryAuth(fetch, registry.url, registry.name);
  let verdict = await checkRegistryCredential(fetch, registry.url, auth, user, fresh.token, registry.name);
  if (verdict === 'rejected') {
    await sleep(deps.recheckDelayMs);
    verdict = await checkRegistryCredential(fetch, registry.url, auth, user, fresh.token, registry.name);
  }
  const written = writtenTo ? { writtenTo } : {};
  if (verdict === 'rejected') return { ...rejected(registry, user, `${hostOf(registry.url)} no longer accepts the service account's access tokens as ${user}: the robot account was unlinked or removed.`), ...written };
  return { state: 'valid', keptAlive: true, username: user, accessTokenExpiresAt: fresh.expiresAt, ...written };
}

/** Method `stackit`: a STACKIT service account's key in the keychain mints short-lived access tokens docker uses as the password. */
export const stackitMethod: CredentialMethod<StackitRegistrySettings> = {
  name: 'stackit',
  prepare,
  signIn,
  keepAlive,
  regenerate: (registry) => Promise.reject(new BerthError('usage', `Berth mints ${registry.name}'s access tokens by itself; for a new key, ${tokenPointer(registry).where}`, { registry: registry.name })),
  signOut: async () => ({ revoked: false, warnings: [] }),
  currentSecret: (registry, deps) => deps.exclusive(async () => (await freshAccessToken(tokenSource(registry), deps.secrets)).token),
};
