import { DockerCredentialsTarget } from '../credentials/docker-target.js';
import { RegistryLocks } from '../keepalive/registry-lock.js';
import type { Logger } from '../log/logger.js';
import { lockDir } from '../settings/paths.js';
import type { HarborWebWindows } from '../harbor/web-windows.js';
import { createApi, type BerthApi } from './index.js';
import { openBerthHome } from './node-home.js';

/** The API over Berth's files, the OS keychain and docker's config, for the app, the CLI, the credential helper and the tests. */
export function createNodeApi(env: NodeJS.ProcessEnv = process.env, options: { dir?: string; log?: Logger; webWindows?: HarborWebWindows } = {}): BerthApi {
  const { dir, unsafe, ...home } = openBerthHome(env, options);
  if (unsafe) home.log.warn(unsafe);
  return createApi({
    ...home,
    docker: new DockerCredentialsTarget(env, home.log),
    locks: new RegistryLocks(lockDir(dir)),
    ...(options.webWindows ? { webWindows: options.webWindows } : {}),
  });
}
