import type { SecretStore } from '../secrets/keychain.js';
import { sha256Hex } from '../secrets/sha256.js';
import { jwtClaims } from './jwt-claims.js';

/** Registry tokens that granted pull, per scope, reused by `berth check` for up to a minute. */
export interface RegistryTokenCache {
  get(scope: string): string | undefined;
  put(scope: string, token: string): Promise<void>;
  forget(scope: string): Promise<void>;
}

interface Stored {
  /** Which credential got these tokens: a new CLI secret or user starts from nothing. */
  credential: string;
  tokens: Record<string, { token: string; until: number }>;
}

// A reused token says "pull works" without asking the token service; one minute bounds how old that answer can be.
const maxReuseMs = 60 * 1000;
const expiryMarginMs = 30 * 1000;
const maxScopes = 20;

function expiresAt(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

function parse(text: string | null): Stored | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Stored;
    return typeof value.credential === 'string' && value.tokens !== null && typeof value.tokens === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cache for one Berth registry, kept in the keychain (a registry token is a secret) next to the credential it came
 * from. `saved` is its keychain entry when the caller started reading it already (beside the credential's own).
 */
export async function keychainTokenCache(
  secrets: SecretStore,
  registry: string,
  credential: { username: string; secret: string },
  now: () => number,
  saved: Promise<string | null> = secrets.get(registry, 'registry-tokens'),
): Promise<RegistryTokenCache> {
  const fingerprint = sha256Hex(`${credential.username}:${credential.secret}`);
  const stored = parse(await saved);
  const live = (entries: Stored['tokens']) => Object.fromEntries(Object.entries(entries).filter(([, entry]) => entry.until > now()));
  let tokens = stored?.credential === fingerprint ? live(stored.tokens) : {};
  const save = () => secrets.set(registry, 'registry-tokens', JSON.stringify({ credential: fingerprint, tokens } satisfies Stored));
  return {
    get: (scope) => tokens[scope]?.token,
    async put(scope, token) {
      const until = Math.min(now() + maxReuseMs, (expiresAt(token) ?? 0) - expiryMarginMs);
      if (until <= now()) return;
      const newest = Object.entries({ ...tokens, [scope]: { token, until } }).sort(([, a], [, b]) => b.until - a.until);
      tokens = Object.fromEntries(newest.slice(0, maxScopes));
      await save();
    },
    async forget(scope) {
      if (!(scope in tokens)) return;
      const { [scope]: _gone, ...rest } = tokens;
      tokens = rest;
      await save();
    },
  };
}
