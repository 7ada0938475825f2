import { jwtClaims } from '../registry/jwt-claims.js';

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
