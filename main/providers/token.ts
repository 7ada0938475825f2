import { setTimeout as sleep } from 'node:timers/promises';
import type { AddRegistryInput, AddTokenInput } from '../api/contract.js';
import { hostOf } from '../credentials/docker-config.js';
import { dockerUsernameProblem } from '../credentials/username.js';
import { BerthError } from '../errors.js';
import { robotExpiry } from '../harbor/robot-expiry.js';
import { rememberSecret } from '../log/redact.js';
import { nodeRequest } from '../net/node-request.js';
import { checkRegistryCredential, looksLikeHarbor, registryAuth, type RegistryAuth } from '../registry/credential-check.js';
import { jwtClaims } from '../registry/jwt-claims.js';
import type { ExpirySource, TokenRegistrySettings } from '../settings/model.js';
import type { AddContext, CredentialMethod, MethodDependencies, Prepared, SessionOutcome, SignedIn, SignedInSession, SignInRequest } from './method.js';
import { caFileOf, commonNumbers, registryOrigin } from './registry-address.js';
import { oneTokenPerMachine, replaceHint, suggestedNote, tokenPointer } from './token-pointers.js';

/** A date the person gave for a token's end (`2026-12-31`, or a date and time), checked. */
export function givenExpiry(text: string, name: string): Date {
  const at = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()}T23:59:59` : text.trim());
  if (Number.isNaN(at.getTime())) throw new BerthError('usage', `The expiry "${text}" for ${name} is not a date: give it as 2026-12-31 (or a date and time).`, { registry: name });
  return at;
}

/** A token that is a JWT with a numeric `exp` says when it ends. */
export function jwtExpiry(secret: string): Date | undefined {
  const exp = jwtClaims(secret)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? new Date(exp * 1000) : undefined;
}

interface Expiry {
  expiresAt?: Date;
  expirySource?: ExpirySource;
}

/** The token's end: the date the person gave, else the JWT's `exp`, else (a Harbor robot) Harbor's record; else unknown. */
async function expiryOf(registry: TokenRegistrySettings, auth: RegistryAuth, username: string, secret: string, given: string | undefined): Promise<Expiry> {
  if (given !== undefined) return { expiresAt: givenExpiry(given, registry.name), expirySource: 'given' };
  const fromJwt = jwtExpiry(secret);
  if (fromJwt) return { expiresAt: fromJwt, expirySource: 'jwt' };
  if (!looksLikeHarbor(auth, registry.url)) return {};
  const robot = await robotExpiry(nodeRequest({ caFile: registry.caFile }), registry.url, username, secret);
  if (robot === 'unknown') return {};
  return robot === 'never' ? { expirySource: 'harbor' } : { expiresAt: robot, expirySource: 'harbor' };
}

function rejectedMessage(registry: TokenRegistrySettings, username: string, stored: boolean): string {
  const pointer = tokenPointer({ ...registry, username });
  return stored
    ? `${hostOf(registry.url)} no longer accepts the token of ${username}: it expired or was revoked. ${pointer.where} ${replaceHint(registry.name, 'token')}`
    : `${hostOf(registry.url)} rejected the token for "${username}"; nothing was stored. Check the user name and the token. ${pointer.where}`;
}

/** Checks a token the person gave against the registry, as docker login does, and learns its end; nothing is stored here. */
async function checkedToken(registry: TokenRegistrySettings, username: string, secret: string, given: string | undefined): Promise<SignedIn> {
  const problem = dockerUsernameProblem(username);
  if (problem) throw new BerthError('usage', `The user name for ${registry.name} ${problem}.`, { registry: registry.name });
  if (secret === '') throw new BerthError('usage', `The token for ${registry.name} is empty.`, { registry: registry.name });
  rememberSecret(secret);
  if (given !== undefined) givenExpiry(given, registry.name);
  const fetch = nodeRequest({ caFile: registry.caFile });
  const auth = await registryAuth(fetch, registry.url, registry.name);
  if ((await checkRegistryCredential(fetch, registry.url, auth, username, secret, registry.name)) === 'rejected') {
    throw new BerthError('rejected', rejectedMessage(registry, username, false), { registry: registry.name });
  }
  const expiry = await expiryOf(registry, auth, username, secret, given);
  const host = hostOf(registry.url);
  const ends = expiry.expiresAt ? `; it expires ${expiry.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : expiry.expirySource ? '; Harbor says it never expires' : '';
  return {
    host,
    username,
    cliSecret: secret,
    accepted: true,
    notices: [],
    ...expiry,
    message: `Checked: ${host} accepts the token of ${username}${ends}. It is in the keychain, and docker credentials for ${host} are in place.`,
  };
}

async function prepare(given: AddRegistryInput, context: AddContext): Promise<Prepared> {
  if (given.kind !== 'token') throw new BerthError('usage', `${given.name} is not a token registry.`);
  const input: AddTokenInput = given;
  const url = registryOrigin(input.url, input.name, 'registry');
  context.requireFreeHost(url.host);
  const caFile = caFileOf(input.caFile, input.name);
  const perMachine = oneTokenPerMachine(url.origin);
  const note = input.note?.trim() || (perMachine ? suggestedNote(context.now()) : undefined);
  const registry: TokenRegistrySettings = {
    name: input.name,
    kind: 'token',
    url: url.origin,
    target: context.preferences.target,
    ...(caFile ? { caFile } : {}),
    ...commonNumbers(input, input.name),
    ...(note ? { note } : {}),
    ...(input.pointer ? { pointer: input.pointer } : {}),
  };
  const signedIn = await checkedToken(registry, input.username.trim(), input.secret.trim(), input.expiresAt);
  const warnings =
    signedIn.expirySource === undefined
      ? [`Berth does not know when this token expires, so it cannot warn before it does: set the date with \`berth set ${input.name} --expires <date>\`. It still checks the token daily.`]
      : [];
  return { registry, warnings, added: `Added ${url.host} with a token for ${signedIn.username}.`, signedIn };
}

/** Replace: a new token (and perhaps user name) the person got from the registry, checked before it replaces the old one everywhere. */
async function signIn<T>(registry: TokenRegistrySettings, request: SignInRequest<T>): Promise<T> {
  if (!request.pasted) {
    throw new BerthError('usage', `${registry.name} holds a token: replace it with a new one (\`berth replace ${registry.name}\`, or Replace token… in Berth's window).`, { registry: registry.name });
  }
  const signedIn = await checkedToken(registry, request.pasted.username.trim(), request.pasted.secret.trim(), request.pasted.expiresAt);
  return (await request.complete(signedIn)).value;
}

/** The daily check: one token request with the stored token, no pull. A rejection is asked again once, since a brief fault can look the same. */
async function keepAlive(registry: TokenRegistrySettings, { username }: SignedInSession, deps: MethodDependencies): Promise<SessionOutcome> {
  const secret = await deps.secrets.get(registry.name, 'token', { expected: true });
  if (!secret || !username) {
    return { state: 'rejected', keptAlive: false, username: username ?? '', lastError: `Berth holds no token for ${registry.name}. ${tokenPointer({ ...registry, username }).where}` };
  }
  const fetch = nodeRequest({ caFile: registry.caFile });
  const auth = await registryAuth(fetch, registry.url, registry.name);
  let verdict = await checkRegistryCredential(fetch, registry.url, auth, username, secret, registry.name);
  if (verdict === 'rejected') {
    await sleep(deps.recheckDelayMs);
    verdict = await checkRegistryCredential(fetch, registry.url, auth, username, secret, registry.name);
  }
  if (verdict === 'accepted') {
    const robot = looksLikeHarbor(auth, registry.url) ? await robotExpiry(fetch, registry.url, username, secret) : 'unknown';
    return { state: 'valid', keptAlive: true, username, ...(robot === 'unknown' ? {} : { expiresAt: robot === 'never' ? null : robot, expirySource: 'harbor' as const }) };
  }
  const pointer = tokenPointer({ ...registry, username });
  return { state: 'rejected', keptAlive: false, username, lastError: rejectedMessage(registry, username, true), ...(pointer.url ? { actionUrl: pointer.url } : {}) };
}

function regenerate(registry: TokenRegistrySettings): Promise<SessionOutcome> {
  return Promise.reject(
    new BerthError('usage', `Berth cannot make a new token for ${registry.name}: the registry hands them out. ${tokenPointer(registry).where}`, { registry: registry.name }),
  );
}

/** Method `token`: a user name and token (robot account, personal access token, vendor token), checked daily and replaced by the person. */
export const tokenMethod: CredentialMethod<TokenRegistrySettings> = {
  name: 'token',
  prepare,
  signIn,
  keepAlive,
  regenerate,
  signOut: async () => ({ revoked: false, warnings: [] }),
};
