import { BerthError, errorMessage } from '../errors.js';
import type { FoundCredential } from '../credentials/docker-credentials.js';
import { isLoopbackHost, networkError } from '../net/http.js';
import type { HttpAnswer, HttpRequest } from '../net/node-request.js';
import type { ChallengeCache, RegistryChallenge } from './challenge-cache.js';
import { jwtClaims } from './jwt-claims.js';
import type { RegistryTokenCache } from './token-cache.js';
import { dockerHub, formatReference, type ImageReference } from './reference.js';
import { realmProblem } from './realm.js';
import { printable } from '../log/printable.js';
import { parseChallenge } from './token-auth.js';
import type { CheckResult, CheckVerdict } from '../api/contract.js';

export type { CheckResult, CheckVerdict } from '../api/contract.js';

export interface PullCheckOptions {
  fetch: HttpRequest;
  credential?: FoundCredential | undefined;
  /** Plain http for a registry that is not on loopback. */
  insecure?: boolean;
  challenges?: ChallengeCache | undefined;
  /** A Harbor Berth manages: its token service must be on its own origin. */
  ownRealmOnly?: boolean;
  /** What fixes a rejection of these credentials (for Harbor: its session expired), with the URL where. */
  rejectionRemedy?: { text: string; actionUrl?: string } | undefined;
  /** What gets docker credentials when it has none (for a registry Berth keeps them for: write them back), instead of "sign in". */
  missingRemedy?: string | undefined;
  /** Registry tokens that recently granted pull with these credentials; one is used instead of asking the token service. */
  tokens?: RegistryTokenCache | undefined;
}

const manifestTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

class Verdict extends Error {
  constructor(
    readonly verdict: CheckVerdict,
    message: string,
    readonly actionUrl?: string,
  ) {
    super(message);
  }
}

// A token service learned from one unauthenticated answer is trusted for an hour at most, as long as the answer allows.
const challengeMaxAgeMs = 60 * 60_000;
// An answer that says nothing about caching (Harbor's and distribution's do not) is remembered only briefly.
const challengeDefaultAgeMs = 5 * 60_000;

function maxAgeOf(answer: HttpAnswer): number {
  const control = answer.headers.get('cache-control') ?? '';
  if (/no-store|no-cache/i.test(control)) return 0;
  const maxAge = /max-age=(\d+)/i.exec(control)?.[1];
  return Math.min(challengeMaxAgeMs, maxAge === undefined ? challengeDefaultAgeMs : Number(maxAge) * 1000);
}

/** The cache without its memory: a retry asks the registry again but may still remember what it learns. */
function forgetful(cache: ChallengeCache | undefined): ChallengeCache | undefined {
  return cache && { get: () => undefined, put: (host, challenge, maxAgeMs) => cache.put(host, challenge, maxAgeMs), forget: (host) => cache.forget(host) };
}

function basic(credential: FoundCredential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.secret}`).toString('base64')}`;
}

/** The registry's own words from a distribution or Harbor error body, or the challenge's `error_description`, without control characters. */
async function registryReason(response: HttpAnswer): Promise<string> {
  return printable(await registryWords(response), 300);
}

async function registryWords(response: HttpAnswer): Promise<string> {
  const challenge = response.headers.get('www-authenticate');
  let reason = '';
  try {
    const body = (await response.json()) as { errors?: { code?: unknown; message?: unknown }[]; details?: unknown };
    reason = (body.errors ?? []).map((error) => [error.code, error.message].filter((text) => typeof text === 'string' && text !== '').join(': ')).join('; ') || (typeof body.details === 'string' ? body.details : '');
  } catch {
    await response.body?.cancel().catch(() => undefined);
  }
  if (!reason && challenge) {
    const { params } = parseChallenge(challenge);
    reason = params.error_description ?? params.error ?? '';
  }
  return reason;
}

/** Which actions the registry token grants on the repository, from its `access` claim; `undefined` if it is not a JWT. */
function grantedActions(token: string, repository: string): string[] | undefined {
  const access = jwtClaims(token)?.access as { type?: string; name?: string; actions?: string[] }[] | undefined;
  if (!Array.isArray(access)) return undefined;
  return access.find((entry) => entry.type === 'repository' && entry.name === repository)?.actions ?? [];
}

/** Asks, with the same requests docker makes (fewer where Berth remembers the registry's challenge), whether a pull would work. */
export async function checkPull(reference: ImageReference, options: PullCheckOptions): Promise<CheckResult> {
  const apiHost = reference.registry === dockerHub ? 'registry-1.docker.io' : reference.registry;
  const hostname = new URL(`http://${apiHost}`).hostname;
  const base = `${options.insecure || isLoopbackHost(hostname) ? 'http' : 'https'}://${apiHost}`;
  const { credential } = options;
  const who = credential ? `${credential.username} (from ${credential.source})` : 'anonymous';
  const result = (verdict: CheckVerdict, message: string, extra: Partial<CheckResult> = {}): CheckResult => ({
    reference: formatReference(reference),
    registry: reference.registry,
    repository: reference.repository ?? null,
    verdict,
    message,
    digest: null,
    mediaType: null,
    username: credential?.username ?? null,
    credentialSource: credential?.source ?? null,
    actionUrl: null,
    ...extra,
  });

  const request = async (url: string, init: Parameters<HttpRequest>[1] = {}): Promise<HttpAnswer> => {
    try {
      return await options.fetch(url, init);
    } catch (error) {
      throw networkError(error, url);
    }
  };

  const discover = async (): Promise<RegistryChallenge> => {
    const response = await request(`${base}/v2/`);
    await response.body?.cancel();
    if (response.status >= 500) throw new Verdict('unreachable', `${reference.registry} answered /v2/ with HTTP ${response.status}: the registry is not serving.`);
    const header = response.headers.get('www-authenticate');
    let challenge: RegistryChallenge = { scheme: 'none' };
    if (response.status === 401 && header) {
      const parsed = parseChallenge(header);
      if (parsed.scheme === 'bearer' && parsed.params.realm) challenge = { scheme: 'bearer', realm: parsed.params.realm, ...(parsed.params.service ? { service: parsed.params.service } : {}) };
      else if (parsed.scheme === 'basic') challenge = { scheme: 'basic' };
    } else if (!response.ok) {
      throw new Verdict('unreachable', `${reference.registry} answered /v2/ with HTTP ${response.status}; it does not look like a container registry.`);
    }
    const problem = challenge.realm ? realmProblem(challenge.realm, base, options.ownRealmOnly === true) : null;
    if (problem) throw new Verdict('unreachable', `${reference.registry} ${problem}; Berth did not send ${credential ? `the credentials of ${who}` : 'anything'} there.`);
    options.challenges?.put(apiHost, challenge, maxAgeOf(response));
    return challenge;
  };

  const rejected = async (response?: HttpAnswer): Promise<Verdict> => {
    const reason = response ? await registryReason(response) : '';
    if (!credential) {
      const remedy = options.missingRemedy ?? `Sign in first (\`berth login\`, or \`docker login ${reference.registry}\`).`;
      return new Verdict('no-credentials', `No credentials for ${reference.registry}, and it allows no anonymous ${reference.repository ? `pull of ${reference.repository}` : 'login'}${reason ? ` (${reason})` : ''}. ${remedy}`);
    }
    const remedy = options.rejectionRemedy?.text ?? `Log in again: \`docker login ${reference.registry}\`.`;
    return new Verdict('rejected', `${reference.registry} rejected the credentials of ${who}${reason ? `: ${reason}` : ''}. ${remedy}`, options.rejectionRemedy?.actionUrl);
  };

  /** A registry token for the scope (none: just the login), as docker gets it. */
  const bearerToken = async (challenge: RegistryChallenge, scope: string | undefined): Promise<string> => {
    const url = new URL(challenge.realm as string);
    if (challenge.service) url.searchParams.set('service', challenge.service);
    if (scope) url.searchParams.set('scope', scope);
    if (credential) url.searchParams.set('account', credential.username);
    const response = await request(url.href, credential ? { headers: { authorization: basic(credential) } } : {});
    if (response.status === 401) throw await rejected(response);
    if (response.status === 403) throw new Verdict('denied', `${reference.registry} refuses ${who} (HTTP 403): ${(await registryReason(response)) || 'access denied'}.`);
    if (!response.ok) {
      await response.body?.cancel();
      throw new Verdict('unreachable', `The token service of ${reference.registry} answered HTTP ${response.status}.`);
    }
    let body: { token?: unknown; access_token?: unknown } | null;
    try {
      body = (await response.json()) as typeof body;
    } catch (error) {
      if (error instanceof SyntaxError) throw new Verdict('unreachable', `The token service of ${reference.registry} answered with something other than JSON.`);
      throw error;
    }
    const token = [body?.token, body?.access_token].find((candidate): candidate is string => typeof candidate === 'string' && candidate !== '');
    if (!token) throw new Verdict('unreachable', `The token service of ${reference.registry} sent no token.`);
    return token;
  };

  try {
    let challenge = options.challenges?.get(apiHost);
    // A remembered token service is held to the same rule as a fresh one (the file may have been edited).
    if (challenge?.realm && realmProblem(challenge.realm, base, options.ownRealmOnly === true)) {
      options.challenges?.forget(apiHost);
      challenge = undefined;
    }
    const cached = challenge !== undefined;
    challenge ??= await discover();
    const scope = reference.repository ? `repository:${reference.repository}:pull` : undefined;
    let authorization: string | undefined;
    const reused = scope && challenge.scheme === 'bearer' ? options.tokens?.get(scope) : undefined;
    if (reused) {
      authorization = `Bearer ${reused}`;
    } else if (challenge.scheme === 'bearer') {
      try {
        authorization = `Bearer ${await bearerToken(challenge, scope)}`;
      } catch (error) {
        // A remembered token service that fails (moved, or never the registry's own) is asked about again, once.
        if (!cached || (error instanceof BerthError && error.code === 'tls')) throw error;
        options.challenges?.forget(apiHost);
        return await checkPull(reference, { ...options, challenges: forgetful(options.challenges) });
      }
      const actions = reference.repository ? grantedActions(authorization?.slice(7) ?? '', reference.repository) : undefined;
      if (actions && !actions.includes('pull')) {
        if (!credential) throw await rejected();
        // Harbor answers bad credentials with an anonymous token, not a 401: a login without scope tells the two apart.
        await bearerToken(challenge, undefined);
        throw new Verdict('denied', `${who} may not pull ${reference.repository} from ${reference.registry}: the registry granted no pull access (not a member of the project, or the project does not exist).`);
      }
      if (scope && actions && authorization) await options.tokens?.put(scope, authorization.slice(7));
    } else if (challenge.scheme === 'basic' && credential) {
      authorization = basic(credential);
    }

    if (!reference.repository) {
      if (challenge.scheme === 'basic') {
        const response = await request(`${base}/v2/`, authorization ? { headers: { authorization } } : {});
        if (response.status === 401) throw await rejected(response);
        await response.body?.cancel();
      }
      const message = challenge.scheme === 'none' ? `${reference.registry} needs no login.` : credential ? `${reference.registry} accepts the credentials of ${who}.` : `${reference.registry} lets anonymous users in.`;
      return result('login-ok', message);
    }

    const manifestUrl = `${base}/v2/${reference.repository}/manifests/${reference.digest ?? reference.tag ?? 'latest'}`;
    const headers = { accept: manifestTypes, ...(authorization ? { authorization } : {}) };
    const head = await request(manifestUrl, { method: 'HEAD', headers });
    if (head.ok) {
      const digest = head.headers.get('docker-content-digest');
      const mediaType = head.headers.get('content-type');
      const pulled = formatReference(reference);
      return result('will-work', `docker pull ${pulled} will work${credential ? ` as ${credential.username}` : ''}${digest ? `: ${digest}` : ''}.`, { digest, mediaType });
    }
    if (head.status === 401 && reused && scope) {
      // The registry no longer takes the remembered token: ask the token service, as docker would.
      await head.body?.cancel();
      await options.tokens?.forget(scope);
      return await checkPull(reference, { ...options, tokens: undefined });
    }
    if (head.status === 401 && cached) {
      // A token from a remembered token service that the registry refuses: learn the challenge again, once.
      await head.body?.cancel();
      options.challenges?.forget(apiHost);
      return await checkPull(reference, { ...options, tokens: undefined, challenges: forgetful(options.challenges) });
    }
    if (head.status === 401 || head.status === 403) {
      if (!credential) throw await rejected(head);
      throw new Verdict('denied', `${who} may not pull ${reference.repository} from ${reference.registry} (HTTP ${head.status}).`);
    }
    if (head.status === 404) {
      await head.body?.cancel();
      // A missing manifest looks the same for a missing repository; the tag list tells them apart.
      const tags = await request(`${base}/v2/${reference.repository}/tags/list`, { headers });
      const reason = await registryReason(tags);
      // Distribution says NAME_UNKNOWN; Harbor answers tags/list itself, with NOT_FOUND in its own error format.
      if (tags.status === 404 && /^(NAME_UNKNOWN|NOT_FOUND)\b/m.test(reason.replace(/; /g, '\n'))) throw new Verdict('not-found', `${reference.registry} has no repository ${reference.repository}.`);
      const wanted = reference.digest ? `manifest ${reference.digest}` : `tag ${reference.tag ?? 'latest'}`;
      throw new Verdict('not-found', `${reference.repository} at ${reference.registry} has no ${wanted}.`);
    }
    await head.body?.cancel();
    throw new Verdict('unreachable', `${reference.registry} answered the manifest request with HTTP ${head.status}.`);
  } catch (error) {
    if (error instanceof Verdict) return result(error.verdict, error.message, error.actionUrl ? { actionUrl: error.actionUrl } : {});
    if (error instanceof BerthError && (error.code === 'tls' || error.code === 'unreachable')) return result(error.code, error.message);
    return result('unreachable', `Could not check ${formatReference(reference)}: ${errorMessage(error)}`);
  }
}

/** Exit status of `berth check`: 0 will work, 1 credentials missing or rejected, 2 denied or not found, 3 unreachable or TLS. */
export function checkExitCode(verdict: CheckVerdict): number {
  switch (verdict) {
    case 'will-work':
    case 'login-ok':
      return 0;
    case 'no-credentials':
    case 'rejected':
      return 1;
    case 'denied':
    case 'not-found':
      return 2;
    default:
      return 3;
  }
}
