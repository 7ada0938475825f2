import { BerthError, errorMessage } from '../errors.js';
import type { WrittenTo } from '../credentials/docker-target.js';
import { newCliSecret } from '../harbor/cli-secret.js';
import type { HarborClient } from '../harbor/client.js';
import { rememberSecret } from '../log/redact.js';
import { discover, refreshTokens, type Tokens } from '../oidc/provider.js';
import type { SecretStore } from '../secrets/keychain.js';
import type { HarborRegistrySettings } from '../settings/model.js';
import { checkCliSecret, explainAnonymous, harborClient, oidcSettings } from './harbor-oidc.js';

export interface SessionDependencies {
  secrets: SecretStore;
  /** Writes a secret to every credential target of the registry. */
  writeCredential(username: string, secret: string): Promise<WrittenTo>;
}

/** What a keep-alive pass or a regeneration found out; network faults are thrown instead (offline is not expired). */
export interface SessionOutcome {
  state: 'valid' | 'needs-sign-in' | 'needs-web-login';
  /** Set when Harbor accepted the CLI secret, which refreshed its stored session. */
  keptAlive: boolean;
  /** When Berth's own session ends, if the identity provider says. */
  sessionExpiresAt?: Date;
  lastError?: string;
  actionUrl?: string;
  username: string;
  /** Set when the credential targets were rewritten with a new secret. */
  writtenTo?: WrittenTo;
}

type BerthSession = { tokens: Tokens } | { ended: BerthError };

/** Refresh grant with the stored refresh token; the rotated one is stored before anything else, as the old one is spent. */
async function refreshBerthSession(registry: HarborRegistrySettings, secrets: SecretStore): Promise<BerthSession> {
  const refreshToken = await secrets.get(registry.name, 'refresh-token');
  if (!refreshToken) {
    return { ended: new BerthError('session-ended', `Berth holds no session for ${registry.name} (the identity provider gave it no refresh token).`, { registry: registry.name }) };
  }
  const settings = oidcSettings(registry);
  try {
    const tokens = await refreshTokens(await discover(settings), settings, refreshToken);
    if (tokens.refreshToken && tokens.refreshToken !== refreshToken) await secrets.set(registry.name, 'refresh-token', tokens.refreshToken);
    return { tokens };
  } catch (error) {
    if (error instanceof BerthError && error.code === 'session-ended') return { ended: error };
    throw error;
  }
}

function signInAgain(registry: HarborRegistrySettings): string {
  return `sign in to ${registry.name} again (Berth's tray, or \`berth login ${registry.name}\`)`;
}

function webLoginNeeded(harbor: HarborClient, username: string): string {
  return `Harbor at ${harbor.host} rejects the CLI secret of ${username}: Harbor's own session for this user has expired. Log in once at ${harbor.webLoginUrl}; Berth notices within minutes.`;
}

/**
 * One keep-alive pass: refresh Berth's own session, then use the CLI secret on `/service/token`, which makes
 * Harbor refresh the session it stores for the user. A rejected secret is fetched again in case it was
 * regenerated elsewhere; if Harbor still rejects it, Harbor's session is dead and only a web login revives it.
 */
export async function keepHarborSessionAlive(registry: HarborRegistrySettings, username: string | undefined, deps: SessionDependencies): Promise<SessionOutcome> {
  const harbor = harborClient(registry);
  const berth = await refreshBerthSession(registry, deps.secrets);
  const sessionExpiresAt = 'tokens' in berth ? berth.tokens.sessionExpiresAt : undefined;
  const expiry = sessionExpiresAt ? { sessionExpiresAt } : {};
  let secret = await deps.secrets.get(registry.name, 'cli-secret');
  if (!username || !secret) {
    return { state: 'needs-sign-in', keptAlive: false, username: username ?? '', lastError: `Berth holds no CLI secret for ${registry.name}: ${signInAgain(registry)}.` };
  }
  let verdict = await checkCliSecret(harbor, username, secret);
  let writtenTo: WrittenTo | undefined;
  if (verdict === 'rejected' && 'tokens' in berth) {
    const user = await harbor.currentUser(berth.tokens.idToken);
    if (!user) throw await explainAnonymous(harbor, berth.tokens, registry);
    if (user.cliSecret !== secret) {
      // Regenerated elsewhere (Harbor's UI, another machine): take the new one everywhere Berth writes.
      secret = user.cliSecret;
      username = user.username;
      await deps.secrets.set(registry.name, 'cli-secret', secret);
      writtenTo = await deps.writeCredential(username, secret);
      verdict = await checkCliSecret(harbor, username, secret);
    }
  }
  const written = writtenTo ? { writtenTo } : {};
  if ('ended' in berth) {
    const lastError =
      verdict === 'accepted'
        ? `${berth.ended.message} Docker credentials still work and Berth keeps them alive, but ${signInAgain(registry)} so Berth can pick up or regenerate the CLI secret.`
        : `Both Berth's session and Harbor's session for ${username} at ${harbor.host} have ended: ${signInAgain(registry)}; one sign-in renews both.`;
    return { state: 'needs-sign-in', keptAlive: verdict === 'accepted', username, lastError, ...written };
  }
  if (verdict === 'accepted') return { state: 'valid', keptAlive: true, username, ...expiry, ...written };
  return { state: 'needs-web-login', keptAlive: false, username, lastError: webLoginNeeded(harbor, username), actionUrl: harbor.webLoginUrl, ...expiry, ...written };
}

/** A new CLI secret set in Harbor, written to every credential target, then checked the way docker will use it. */
export async function regenerateHarborSecret(registry: HarborRegistrySettings, deps: SessionDependencies): Promise<SessionOutcome> {
  const berth = await refreshBerthSession(registry, deps.secrets);
  if ('ended' in berth) {
    throw new BerthError('session-ended', `Cannot regenerate the CLI secret of ${registry.name}: ${berth.ended.message}`, { registry: registry.name });
  }
  const harbor = harborClient(registry);
  const user = await harbor.currentUser(berth.tokens.idToken);
  if (!user) throw await explainAnonymous(harbor, berth.tokens, registry);
  const secret = newCliSecret();
  rememberSecret(secret);
  await harbor.setCliSecret(berth.tokens.idToken, user.userId, secret);
  let writtenTo: WrittenTo;
  try {
    await deps.secrets.set(registry.name, 'cli-secret', secret);
    writtenTo = await deps.writeCredential(user.username, secret);
  } catch (error) {
    throw new BerthError(
      'file-write',
      `Harbor has the new CLI secret of ${user.username}, but Berth could not put it in place: ${errorMessage(error)} Once that is fixed, \`berth refresh ${registry.name}\` fetches it from Harbor.`,
      { registry: registry.name, cause: error },
    );
  }
  const expiry = berth.tokens.sessionExpiresAt ? { sessionExpiresAt: berth.tokens.sessionExpiresAt } : {};
  if ((await checkCliSecret(harbor, user.username, secret)) === 'accepted') return { state: 'valid', keptAlive: true, username: user.username, writtenTo, ...expiry };
  return {
    state: 'needs-web-login',
    keptAlive: false,
    username: user.username,
    writtenTo,
    lastError: `The new CLI secret is in place, but ${webLoginNeeded(harbor, user.username)} A new secret does not revive Harbor's session.`,
    actionUrl: harbor.webLoginUrl,
    ...expiry,
  };
}
