import { BerthError } from '../errors.js';
import type { SecretStore } from '../secrets/keychain.js';
import { fromKeychain } from './key.js';
import { usableToken, type AccessToken } from './cached-token.js';
import { mintAccessToken } from './key-flow.js';

export interface StackitTokenSource {
  name: string;
  tokenEndpoint: string;
  caFile?: string | undefined;
  /** A token handed out has at least this many seconds left. */
  minTokenSeconds: number;
}

/**
 * The cached access token while it has `minTokenSeconds` left, else a new one minted with the key from the keychain and
 * cached there (`force`: a new one whatever, which is how a pass checks the key). The caller holds the registry's lock
 * when it may mint, so processes never mint side by side.
 */
export async function freshAccessToken(registry: StackitTokenSource, secrets: SecretStore, options: { now?: () => number; force?: boolean } = {}): Promise<AccessToken & { minted: boolean }> {
  const now = options.now ?? Date.now;
  const cached = options.force ? undefined : usableToken(await secrets.get(registry.name, 'access-token'), registry.minTokenSeconds, now());
  if (cached) return { ...cached, minted: false };
  const stored = await secrets.get(registry.name, 'service-account-key', { expected: true });
  if (!stored) throw new BerthError('rejected', `Berth holds no service-account key for ${registry.name}: add it again with \`berth replace ${registry.name} --key-file <key file>\`.`, { registry: registry.name });
  const minted = await mintAccessToken(registry.tokenEndpoint, fromKeychain(stored, registry.name), registry.name, { ...(registry.caFile ? { caFile: registry.caFile } : {}), now: new Date(now()) });
  await secrets.set(registry.name, 'access-token', minted.token);
  return { ...minted, minted: true };
}
