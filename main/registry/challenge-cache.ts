import { readCacheFile, writeCacheFile } from '../credentials/json-file.js';

/** How a registry asks for credentials, as its `GET /v2/` answer says; nothing secret. */
export interface RegistryChallenge {
  scheme: 'bearer' | 'basic' | 'none';
  realm?: string;
  service?: string;
}

export interface ChallengeCache {
  get(host: string): RegistryChallenge | undefined;
  /** Remembers a Bearer challenge (a token service) for at most `maxAgeMs`; nothing else is remembered. */
  put(host: string, challenge: RegistryChallenge, maxAgeMs: number): void;
  forget(host: string): void;
}

interface Remembered extends RegistryChallenge {
  until: number;
}

/** Remembered per registry host in a file in Berth's config folder, so a check can skip `GET /v2/`. */
export function fileChallengeCache(path: string, now: () => number = Date.now): ChallengeCache {
  // A damaged or unwritable cache costs one `GET /v2/` next time, nothing more.
  const read = () => readCacheFile<Remembered>(path);
  const write = (data: Record<string, Remembered>) => writeCacheFile(path, data);
  return {
    get: (host) => {
      const remembered = read()[host];
      if (!remembered || typeof remembered.until !== 'number' || remembered.until <= now() || remembered.scheme !== 'bearer') return undefined;
      const { until: _until, ...challenge } = remembered;
      return challenge;
    },
    put: (host, challenge, maxAgeMs) => {
      if (challenge.scheme !== 'bearer' || maxAgeMs <= 0) return;
      write({ ...read(), [host]: { ...challenge, until: now() + maxAgeMs } });
    },
    forget: (host) => {
      const { [host]: _dropped, ...rest } = read();
      write(rest);
    },
  };
}
