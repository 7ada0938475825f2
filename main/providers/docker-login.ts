import { BerthError } from '../errors.js';
import { hostOf } from '../credentials/docker-config.js';
import type { TokenRegistrySettings } from '../settings/model.js';
import type { CredentialMethod } from './method.js';

function cannot(registry: TokenRegistrySettings, action: string): BerthError {
  const host = hostOf(registry.url);
  return new BerthError('usage', `${registry.name} holds a token from \`docker login\`, which Berth cannot ${action}: run \`docker login ${host}\` again to replace it.`, {
    registry: registry.name,
  });
}

/** A user name and token `docker login` handed to docker-credential-berth: kept, served and checked; nothing to renew. */
export const dockerLogin: CredentialMethod<TokenRegistrySettings> = {
  name: 'docker-login',
  signIn: (registry) => Promise.reject(cannot(registry, 'sign in to')),
  keepAlive: (registry) => Promise.reject(cannot(registry, 'keep alive')),
  regenerate: (registry) => Promise.reject(cannot(registry, 'regenerate')),
  signOut: async () => ({ revoked: false, warnings: [] }),
};
