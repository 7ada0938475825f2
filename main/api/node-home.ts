import { fileLogger, type Logger } from '../log/logger.js';
import { fileChallengeCache } from '../registry/challenge-cache.js';
import { chosenSecretStore } from '../secrets/chosen-store.js';
import { fileActivityLog } from '../settings/activity-log.js';
import { openStores } from '../settings/node-stores.js';
import { activityFile, challengeCacheFile, configDir, configDirProblem, logFile } from '../settings/paths.js';

/**
 * A Berth home's files and its secret store: what the full API and `berth check`'s quick start both stand on. `unsafe`
 * says why the folder is not the user's alone, if it is not (the full API logs it; the quick start hands over).
 */
export function openBerthHome(env: NodeJS.ProcessEnv, options: { dir?: string; log?: Logger } = {}) {
  const dir = options.dir ?? configDir(env);
  const { settings, status } = openStores(dir);
  const log = options.log ?? fileLogger(logFile(dir));
  return {
    dir,
    unsafe: configDirProblem(dir),
    settings,
    status,
    log,
    secrets: chosenSecretStore(dir, env, () => settings.preferences().secretStore),
    challenges: fileChallengeCache(challengeCacheFile(dir)),
    activity: fileActivityLog(activityFile(dir), log),
  };
}
