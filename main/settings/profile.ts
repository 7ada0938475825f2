import { BerthError } from '../errors.js';
import type { RegistryProfile } from '../api/contract.js';
import type { TokenPointer } from './model.js';
import { profileProblems, tokenProfileProblems } from './schema.js';

/**
 * A registry profile: the JSON an administrator hands out so people need not know the OIDC details, e.g.
 * `{"url": "https://harbor.example.org", "issuer": "https://sso.example.org/realms/corp", "clientId": "berth"}`.
 */
function parsed(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BerthError('usage', `${source} is not JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
}

/** A token registry's profile: `{"kind": "token", "url": "...", "pointer": {"where": "...", "url": "https://..."}}`. */
export interface TokenProfile {
  kind: 'token';
  name?: string;
  url?: string;
  pointer: TokenPointer;
  warnDays?: number;
}

export function parseTokenProfile(text: string, source: string): TokenProfile {
  const data = parsed(text, source);
  const problems = tokenProfileProblems(data);
  if (problems.length > 0) throw new BerthError('usage', `${source} is not a Berth token registry profile: ${problems.join('; ')}.`);
  return data as TokenProfile;
}

export function parseRegistryProfile(text: string, source: string): RegistryProfile {
  const data = parsed(text, source);
  const problems = profileProblems(data);
  if (problems.length > 0) throw new BerthError('usage', `${source} is not a Berth registry profile: ${problems.join('; ')}.`);
  return data as RegistryProfile;
}
