import { DockerCredentialsTarget } from '../credentials/docker-target.js';
import { RegistryLocks } from '../keepalive/registry-lock.js';
import { fileLogger, type Logger } from '../log/logger.js';
import { chosenSecretStore } from '../secrets/chosen-store.js';
import { fileChallengeCache } from '../registry/challenge-cache.js';
import { openStores } from '../settings/node-stores.js';
import { fileActivityLog } from '../settings/activity-log.js';
import { activityFile, challengeCacheFile, configDir, configDirProblem, lockDir, logFile } from '../settings/paths.js';
import type { HarborWebWindows } from '../harbor/web-windows.js';
import { createApi, type BerthApi } from './index.js';

/** The API over Berth's files, the OS keychain and docker's config, for the app, the CLI, the credential helper and the tests. */
export function createNodeApi(env: NodeJS.ProcessEnv = process.env, options: { dir?: string; log?: Logger; webWindows?: HarborWebWindows } = {}): BerthApi {
  const dir = options.dir ?? configDir(env);
  const { settings, status } = openStores(dir);
  const log = options.log ?? fileLogger(logFile(dir));
  const unsafe = configDirProblem(dir);
  if (unsafe) log.warn(unsafe);
  return createApi({
    settings,
    status,
    secrets: chosenSecretStore(dir, env, () => settings.preferences().secretStore),
    docker: new DockerCredentialsTarget(env, log),
    locks: new RegistryLocks(lockDir(dir)),
    challenges: fileChallengeCache(challengeCacheFile(dir)),
    activity: fileActivityLog(activityFile(dir), log),
    log,
    ...(options.webWindows ? { webWindows: options.webWindows } : {}),
  });
}
