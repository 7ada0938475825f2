import { jwtClaims } from '../registry/jwt-claims.js';
import type { SecretStore } from '../secrets/keychain.js';
import { defaultMinTokenSeconds } from '../settings/model.js';

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

/** A cached access token from the keychain, if it has at least `minSeconds` left; kept apart so docker's every pull loads no HTTP code. */
export function usableToken(cached: string | null, minSeconds: number, now: number): AccessToken | undefined {
  if (!cached) return undefined;
  const exp = jwtClaims(cached)?.exp;
  if (typeof exp !== 'number' || exp * 1000 - now < minSeconds * 1000) return undefined;
  return { token: cached, expiresAt: new Date(exp * 1000) };
}

/** A STACKIT registry's cached access token, if it has enough time left for docker: a keychain read, no HTTP. */
export async function cachedAccessToken(registry: { name: string; minTokenSeconds?: number | undefined }, secrets: Pick<SecretStore, 'get'>): Promise<string | undefined> {
  return usableToken(await secrets.get(registry.name, 'access-token'), registry.minTokenSeconds ?? defaultMinTokenSeconds, Date.now())?.token;
}
