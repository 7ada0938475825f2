import { DockerCredentialsTarget } from '../credentials/docker-target.js';
import { RegistryLocks } from '../keepalive/registry-lock.js';
import { fileLogger } from '../log/logger.js';
import { keychain } from '../secrets/keychain.js';
import { fileChallengeCache } from '../registry/challenge-cache.js';
import { openStores } from '../settings/node-stores.js';
import { challengeCacheFile, configDir, lockDir, logFile } from '../settings/paths.js';
import { createApi, type BerthApi } from './index.js';

/** The API wired for plain Node (CLI, credential helper, tests): conf files, keytar, docker's config. */
export function createNodeApi(env: NodeJS.ProcessEnv = process.env): BerthApi {
  const dir = configDir(env);
  const { settings, status } = openStores(dir);
  const log = fileLogger(logFile(dir));
  return createApi({
    settings,
    status,
    secrets: keychain(),
    docker: new DockerCredentialsTarget(env, log),
    locks: new RegistryLocks(lockDir(dir)),
    challenges: fileChallengeCache(challengeCacheFile(dir)),
    log,
  });
}
