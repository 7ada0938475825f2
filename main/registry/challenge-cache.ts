import { existsSync, readFileSync } from 'node:fs';
import { writeJsonDocument } from '../credentials/json-file.js';

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
  const read = (): Record<string, RegistryChallenge> => {
    try {
      return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, RegistryChallenge>) : {};
    } catch {
      // Only a cache: a damaged one is rebuilt from the registries' answers.
      return {};
    }
  };
  const write = (data: Record<string, RegistryChallenge>): void => {
    try {
      writeJsonDocument({ path, exists: existsSync(path), data }, data, '  ');
    } catch {
      // A cache that cannot be written costs one request next time, nothing more.
    }
  };
  return {
    get: (host) => read()[host],
    put: (host, challenge) => write({ ...read(), [host]: challenge }),
    forget: (host) => {
      const { [host]: _dropped, ...rest } = read();
      write(rest);
    },
  };
}
