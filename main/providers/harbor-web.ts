import { dockerUsernameProblem } from '../credentials/username.js';
import { BerthError } from '../errors.js';
import { newCliSecret } from '../harbor/cli-secret.js';
import { webSessionAuth } from '../harbor/web-session.js';
import { harborWebSession, signInThroughWindow } from '../harbor/web-windows.js';
import { rememberSecret } from '../log/redact.js';
import type { HarborWebSettings } from '../settings/model.js';
import { prepareHarborWeb } from './harbor-settings.js';
import { harborClient, harborSessionNotices, putNewSecret, signInAgain, useStoredSecret, verdictAfterRecheck, verifiedNewSecret } from './harbor-cli-secret.js';
import type { CredentialMethod, MethodDependencies, SessionOutcome, SignedInSession, SignInRequest } from './method.js';

// Robot accounts are not OIDC users, so they have no CLI secret.
function usernameProblem(username: string): string | null {
  if (username.startsWith('robot$')) return 'is a robot account, which has no CLI secret to keep alive (use `docker login` with it)';
  return dockerUsernameProblem(username);
}

/** A secret the person copied from Harbor: checked on the token service (twice before a rejection counts) before anything is stored. */
async function signInWithPastedSecret<T>(registry: HarborWebSettings, pasted: { username: string; secret: string }, request: SignInRequest<T>, deps: MethodDependencies): Promise<T> {
  const harbor = harborClient(registry);
  const username = pasted.username.trim();
  const secret = pasted.secret.trim();
  const problem = usernameProblem(username);
  if (problem) throw new BerthError('usage', `The Harbor username for ${registry.name} ${problem}.`, { registry: registry.name });
  if (secret === '') throw new BerthError('usage', `The CLI secret for ${registry.name} is empty: copy it from Harbor's User Profile page.`, { registry: registry.name });
  rememberSecret(secret);
  if ((await verdictAfterRecheck(harbor, username, secret, deps)) === 'rejected') {
    throw new BerthError(
      'rejected',
      `Harbor's token service at ${harbor.host} rejected the CLI secret for "${username}"; nothing was stored. Check the username and copy the secret again ` +
        `from your user menu → User Profile. If both are right, Harbor's own session for you has expired: log in at ${harbor.webLoginUrl} first, then try again.`,
      { registry: registry.name },
    );
  }
  const notices = await harborSessionNotices(harbor);
  return (await request.complete({ host: harbor.host, username, cliSecret: secret, accepted: true, webLoginUrl: harbor.webLoginUrl, notices })).value;
}

/** Harbor's own web login in Berth's window (the app), or a pasted secret (the CLI, or the person's choice). */
async function signIn<T>(registry: HarborWebSettings, request: SignInRequest<T>, deps: MethodDependencies): Promise<T> {
  const harbor = harborClient(registry);
  await harbor.requireOidc();
  if (request.pasted) return signInWithPastedSecret(registry, request.pasted, request, deps);
  if (!deps.webWindows) {
    throw new BerthError(
      'usage',
      `${registry.name} signs in through Harbor's web login, which needs Berth's app; in a terminal, \`berth login ${registry.name}\` asks for the CLI secret from Harbor's User Profile page.`,
      { registry: registry.name },
    );
  }
  const { user } = await signInThroughWindow(harbor, deps.webWindows, registry.name, request.timeoutMs, request.signal);
  const accepted = (await verdictAfterRecheck(harbor, user.username, user.cliSecret, deps)) === 'accepted';
  const notices = await harborSessionNotices(harbor);
  return (await request.complete({ host: harbor.host, username: user.username, userId: user.userId, cliSecret: user.cliSecret, accepted, webLoginUrl: harbor.webLoginUrl, notices })).value;
}

/** The secret's own use on `/service/token` is the keep-alive: Harbor refreshes its stored session on use. */
async function keepAlive(registry: HarborWebSettings, { username }: SignedInSession, deps: MethodDependencies): Promise<SessionOutcome> {
  const harbor = harborClient(registry);
  const inUse = username
    ? await useStoredSecret(harbor, registry, username, deps, async () => {
        // The app's browser session may still be signed in to Harbor: then it knows a secret regenerated elsewhere.
        if (!deps.webWindows) return null;
        return harbor.currentUser(webSessionAuth(await deps.webWindows.cookies(registry.name, harbor.base.href), registry.name));
      })
    : null;
  if (!inUse) return { state: 'needs-sign-in', keptAlive: false, username: username ?? '', lastError: `Berth holds no CLI secret for ${registry.name}: ${signInAgain(registry)}.` };
  const written = inUse.writtenTo ? { writtenTo: inUse.writtenTo } : {};
  if (inUse.verdict === 'accepted') return { state: 'valid', keptAlive: true, username: inUse.username, ...written };
  return {
    state: 'needs-web-login',
    keptAlive: false,
    username: inUse.username,
    lastError:
      `Harbor at ${harbor.host} rejects the CLI secret of ${inUse.username}: Harbor's own session has expired, or the secret was changed elsewhere. ` +
      `Sign in again (Berth's app opens Harbor's login; \`berth login ${registry.name}\` takes the secret from your User Profile), or log in once at ${harbor.webLoginUrl}; Berth notices within minutes.`,
    actionUrl: harbor.webLoginUrl,
    ...written,
  };
}

/** A new CLI secret set through Harbor's web session (with its CSRF token), as Harbor's own User Profile page does. */
async function regenerate(registry: HarborWebSettings, deps: MethodDependencies): Promise<SessionOutcome> {
  if (!deps.webWindows) {
    throw new BerthError(
      'usage',
      `${registry.name} signs in through Harbor's web login, so only Harbor's web session can change its CLI secret: regenerate it in Berth's app, ` +
        `or on Harbor's User Profile page (your user menu → User Profile), then run \`berth login ${registry.name}\` with the new secret.`,
      { registry: registry.name },
    );
  }
  const harbor = harborClient(registry);
  // The person may take minutes in the window: only the change itself holds the registry's lock.
  const { user, auth } = await harborWebSession(harbor, deps.webWindows, registry.name, deps.signInTimeoutMs);
  return deps.exclusive(async () => {
    const secret = newCliSecret();
    rememberSecret(secret);
    const writtenTo = await putNewSecret(harbor, registry, user.username, secret, deps, () => harbor.setCliSecret(auth, user.userId, secret));
    return verifiedNewSecret(harbor, user.username, secret, writtenTo, deps);
  });
}

/** Nothing to revoke at the identity provider; the app's browser session for the registry is forgotten. */
async function signOut(registry: HarborWebSettings, _refreshToken: string | null, deps: MethodDependencies) {
  await deps.webWindows?.forget(registry.name);
  return { revoked: false, warnings: [] };
}

/** Method `web`: Harbor's own web login, which needs nothing registered at the identity provider. */
export const harborWeb: CredentialMethod<HarborWebSettings> = { name: 'web', prepare: prepareHarborWeb, signIn, keepAlive, regenerate, signOut };
