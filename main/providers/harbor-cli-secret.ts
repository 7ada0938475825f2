import { setTimeout as sleep } from 'node:timers/promises';
import type { WrittenTo } from '../credentials/docker-target.js';
import { BerthError, errorMessage } from '../errors.js';
import { HarborClient, type HarborUser } from '../harbor/client.js';
import { onlineSessionWarning } from '../harbor/login-redirect.js';
import { httpClient } from '../net/http.js';
import { stopSignal } from '../net/stop-signal.js';
import { checkBasicCredentials, discoverTokenService, type CredentialVerdict, type TokenService } from '../registry/token-auth.js';
import type { HarborRegistrySettings } from '../settings/model.js';
import type { MethodDependencies, SessionOutcome } from './method.js';

export function harborClient(registry: HarborRegistrySettings): HarborClient {
  return new HarborClient(registry.url, httpClient({ caFile: registry.caFile }), registry.name);
}

// A long-running process learns each Harbor's token service once every ten minutes, not on every pass.
const tokenServiceMaxAgeMs = 10 * 60_000;
const tokenServices = new Map<string, { at: number; service: Promise<TokenService> }>();

function tokenServiceOf(harbor: HarborClient): Promise<TokenService> {
  const known = tokenServices.get(harbor.base.href);
  if (known && Date.now() - known.at < tokenServiceMaxAgeMs) return known.service;
  const service = discoverTokenService(harbor.fetch, harbor.base.href);
  tokenServices.set(harbor.base.href, { at: Date.now(), service });
  service.catch(() => tokenServices.delete(harbor.base.href));
  return service;
}

/** Uses the CLI secret on `/service/token` exactly as docker does; this is also what makes Harbor refresh its stored session. */
export async function checkCliSecret(harbor: HarborClient, username: string, secret: string): Promise<CredentialVerdict> {
  const tokenService = await tokenServiceOf(harbor);
  try {
    return await checkBasicCredentials(harbor.fetch, tokenService, username, secret);
  } catch (error) {
    // The token service moved or went away: learn it again next time.
    tokenServices.delete(harbor.base.href);
    throw error;
  }
}

/**
 * Harbor's verdict on a secret, asked once more after `recheckDelayMs` when it is a rejection: a brief failure of Harbor's
 * own refresh at the identity provider (network, a provider restart) gives the same 401 as a dead session.
 */
export async function verdictAfterRecheck(harbor: HarborClient, username: string, secret: string, deps: Pick<MethodDependencies, 'recheckDelayMs'>): Promise<CredentialVerdict> {
  if ((await checkCliSecret(harbor, username, secret)) === 'accepted') return 'accepted';
  await sleep(deps.recheckDelayMs, undefined, { signal: stopSignal() });
  return checkCliSecret(harbor, username, secret);
}

export function signInAgain(registry: HarborRegistrySettings): string {
  return `sign in to ${registry.name} again (Berth's tray, or \`berth login ${registry.name}\`)`;
}

/** The sentence for a secret Harbor rejects because its own stored session is dead. */
export function webLoginNeeded(harbor: HarborClient, username: string): string {
  return `Harbor at ${harbor.host} rejects the CLI secret of ${username}: Harbor's own session for this user has expired. Log in once at ${harbor.webLoginUrl}; Berth notices within minutes.`;
}

/** A new secret into the keychain and every credential target; Harbor already has it, so a failure here says how to recover. */
export async function installSecret(registry: HarborRegistrySettings, username: string, secret: string, deps: MethodDependencies): Promise<WrittenTo> {
  try {
    await deps.secrets.set(registry.name, 'cli-secret', secret);
    return await deps.writeCredential(username, secret);
  } catch (error) {
    throw new BerthError(
      'file-write',
      `Harbor has the new CLI secret of ${username}, but Berth could not put it in place: ${errorMessage(error)} Once that is fixed, \`berth refresh ${registry.name}\` fetches it from Harbor.`,
      { registry: registry.name, cause: error },
    );
  }
}

/**
 * Sets a new CLI secret at Harbor as a journal: the journal is marked open (status.json) and the secret goes into the
 * keychain as `pending-cli-secret` before Harbor is changed, and leaves it only once it is in place everywhere. A process
 * killed or failing in between leaves the journal for the next command that reads the credential (`settlePendingSecret`).
 * `put` sends it to Harbor.
 */
export async function putNewSecret(harbor: HarborClient, registry: HarborRegistrySettings, username: string, secret: string, deps: MethodDependencies, put: () => Promise<void>): Promise<WrittenTo> {
  deps.journal.open();
  await deps.secrets.set(registry.name, 'pending-cli-secret', secret);
  try {
    await put();
  } catch (error) {
    // Harbor answered and refused: it does not have the secret. Without an answer nobody knows; the next pass asks Harbor.
    if (error instanceof BerthError && error.code === 'harbor') {
      await deps.secrets.delete(registry.name, 'pending-cli-secret');
      deps.journal.close();
    }
    throw error;
  }
  const writtenTo = await installSecret(registry, username, secret, deps);
  await deps.secrets.delete(registry.name, 'pending-cli-secret');
  deps.journal.close();
  return writtenTo;
}

/**
 * Finishes what an interrupted `regenerate` left. A pending secret Harbor accepts is put in place. One it rejects while the
 * old one works never reached Harbor, and goes. When Harbor rejects both, its own session is dead and it rejects every
 * secret: only the user's present secret (`current`, where the method can read it) tells which one Harbor has; without it
 * the pending secret is kept (for Harbor's web login it is the only copy) until Harbor accepts one again.
 * Returns where a secret was written, and whether the journal is still open.
 */
export async function settlePendingSecret(
  harbor: HarborClient,
  registry: HarborRegistrySettings,
  username: string,
  deps: MethodDependencies,
  current: () => Promise<HarborUser | null>,
): Promise<{ writtenTo?: WrittenTo; open: boolean }> {
  const pending = await deps.secrets.get(registry.name, 'pending-cli-secret');
  const closed = async (writtenTo?: WrittenTo) => {
    if (pending) await deps.secrets.delete(registry.name, 'pending-cli-secret');
    deps.journal.close();
    return { ...(writtenTo ? { writtenTo } : {}), open: false };
  };
  if (!pending) return closed();
  if ((await verdictAfterRecheck(harbor, username, pending, deps)) === 'accepted') return closed(await installSecret(registry, username, pending, deps));
  const old = await deps.secrets.get(registry.name, 'cli-secret');
  // Put in place already (killed before the journal was closed): the keychain holds it, and the pass repairs the targets.
  if (old === pending) return closed();
  if (old && (await checkCliSecret(harbor, username, old)) === 'accepted') return closed();
  const user = await current();
  if (!user) return { open: true };
  if (user.cliSecret === pending) return closed(await installSecret(registry, user.username, pending, deps));
  // Harbor has another secret than the pending one: the pass picks that up as a secret changed elsewhere.
  return closed();
}

/** Where the Harbor leg of a pass ended: the verdict on the secret in use, and whether a changed one was written. */
export interface SecretInUse {
  verdict: CredentialVerdict;
  username: string;
  writtenTo?: WrittenTo;
}

/**
 * The Harbor leg of every keep-alive pass: use the stored CLI secret on `/service/token`. A rejected secret may have been
 * regenerated elsewhere (Harbor's UI, another machine): `current` reads the user's present one, if the method can.
 */
export async function useStoredSecret(
  harbor: HarborClient,
  registry: HarborRegistrySettings,
  username: string,
  deps: MethodDependencies,
  current: () => Promise<HarborUser | null>,
): Promise<SecretInUse | null> {
  const settled = await settlePendingSecret(harbor, registry, username, deps, current);
  const secret = await deps.secrets.get(registry.name, 'cli-secret', { expected: true });
  if (!secret) return null;
  const verdict = await checkCliSecret(harbor, username, secret);
  if (verdict === 'accepted') return { verdict, username, ...(settled.writtenTo ? { writtenTo: settled.writtenTo } : {}) };
  const user = await current();
  if (user && user.cliSecret !== secret) {
    const writtenTo = await installSecret(registry, user.username, user.cliSecret, deps);
    return { verdict: await verdictAfterRecheck(harbor, user.username, user.cliSecret, deps), username: user.username, writtenTo };
  }
  // A brief failure of Harbor's own refresh at the identity provider gives the same 401: ask once more before calling the session dead.
  await sleep(deps.recheckDelayMs, undefined, { signal: stopSignal() });
  return { verdict: await checkCliSecret(harbor, username, secret), username };
}

/** A Harbor whose own login asks for no offline session: its CLI secrets die with the browser session, whatever Berth does. */
export async function harborSessionNotices(harbor: HarborClient): Promise<string[]> {
  const redirect = await harbor.webLoginRedirect().catch(() => undefined);
  const scopes = redirect?.searchParams.get('scope');
  const warning = scopes === null || scopes === undefined ? null : onlineSessionWarning(harbor.host, scopes.split(/\s+/).filter(Boolean));
  return warning ? [warning] : [];
}

/** After a new secret is in place: checked the way docker will use it, twice before a rejection counts. A new secret does not revive a dead Harbor session. */
export async function verifiedNewSecret(
  harbor: HarborClient,
  username: string,
  secret: string,
  writtenTo: WrittenTo,
  deps: Pick<MethodDependencies, 'recheckDelayMs'>,
  sessionExpiresAt?: Date,
): Promise<SessionOutcome> {
  const expiry = sessionExpiresAt ? { sessionExpiresAt } : {};
  if ((await verdictAfterRecheck(harbor, username, secret, deps)) === 'accepted') return { state: 'valid', keptAlive: true, username, writtenTo, ...expiry };
  return {
    state: 'needs-web-login',
    keptAlive: false,
    username,
    writtenTo,
    lastError: `The new CLI secret is in place, but ${webLoginNeeded(harbor, username)} A new secret does not revive Harbor's session.`,
    actionUrl: harbor.webLoginUrl,
    ...expiry,
  };
}
