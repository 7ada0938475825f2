import { BerthError } from '../errors.js';
import type { RegistryProfile } from '../api/contract.js';
import { profileProblems } from './schema.js';

/**
 * A registry profile: the JSON an administrator hands out so people need not know the OIDC details, e.g.
 * `{"url": "https://harbor.example.org", "issuer": "https://sso.example.org/realms/corp", "clientId": "berth"}`.
 */
export function parseRegistryProfile(text: string, source: string): RegistryProfile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BerthError('usage', `${source} is not JSON (${error instanceof Error ? error.message : String(error)}).`);
  }
  const problems = profileProblems(data);
  if (problems.length > 0) throw new BerthError('usage', `${source} is not a Berth registry profile: ${problems.join('; ')}.`);
  return data as RegistryProfile;
}
