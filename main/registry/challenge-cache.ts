import { readCacheFile, writeCacheFile } from '../credentials/json-file.js';

/** How a registry asks for credentials, as its `GET /v2/` answer says; nothing secret. */
export interface RegistryChallenge {
  scheme: 'bearer' | 'basic' | 'none';
  realm?: string;
  service?: string;
}

export interface ChallengeCache {
  get(host: string): RegistryChallenge | undefined;
  put(host: string, challenge: RegistryChallenge): void;
  forget(host: string): void;
}

/** Remembered per registry host in a file in Berth's config folder, so a check can skip `GET /v2/`. */
export function fileChallengeCache(path: string): ChallengeCache {
  // A damaged or unwritable cache costs one `GET /v2/` next time, nothing more.
  const read = () => readCacheFile<RegistryChallenge>(path);
  const write = (data: Record<string, RegistryChallenge>) => writeCacheFile(path, data);
  return {
    get: (host) => read()[host],
    put: (host, challenge) => write({ ...read(), [host]: challenge }),
    forget: (host) => {
      const { [host]: _dropped, ...rest } = read();
      write(rest);
    },
  };
}
