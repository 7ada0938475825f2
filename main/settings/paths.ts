import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, posix, win32 } from 'node:path';

export const appName = 'Berth';

/** Berth's config folder: the same folder Electron's `userData` is for the app name "Berth", or `$BERTH_HOME`. */
export function configDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.BERTH_HOME) return env.BERTH_HOME;
  // The given platform's path rules, whatever this machine runs.
  switch (platform) {
    case 'darwin':
      return posix.join(home, 'Library', 'Application Support', appName);
    case 'win32':
      return win32.join(env.APPDATA ?? win32.join(home, 'AppData', 'Roaming'), appName);
    default:
      return posix.join(env.XDG_CONFIG_HOME || posix.join(home, '.config'), appName);
  }
}

/** The registries and preferences the user configured. */
export function settingsFile(dir: string): string {
  return join(dir, 'settings.json');
}

/** What Berth last learned about each registry (states, deadlines); no secrets. */
export function statusFile(dir: string): string {
  return join(dir, 'status.json');
}

/** The explicit file store's one file (0600) in its own folder (0700). */
export function secretsFile(dir: string): string {
  return join(dir, 'secrets', 'secrets.json');
}

export function logFile(dir: string): string {
  return join(dir, 'berth.log');
}

/** Lock files, one per registry, that keep two processes from refreshing one session at once. */
export function lockDir(dir: string): string {
  return join(dir, 'locks');
}

/** What each registry's `GET /v2/` asked for (no secrets), so checks can skip that request. */
export function challengeCacheFile(dir: string): string {
  return join(dir, 'registry-challenges.json');
}

/** The window's activity list: the last state changes and actions, no secrets. */
export function activityFile(dir: string): string {
  return join(dir, 'activity.json');
}

/** What is wrong with the permissions of Berth's folder, in a sentence, or `null`: others who can write there can change what Berth does. */
export function configDirProblem(dir: string): string | null {
  let mode: number;
  try {
    mode = statSync(dir).mode & 0o777;
  } catch {
    return null;
  }
  if (process.platform === 'win32' || (mode & 0o022) === 0) return null;
  return `Berth's folder ${dir} can be written by other users (mode ${mode.toString(8).padStart(4, '0')}): anyone who can write there can change your registries or plant files. Run \`chmod 700 ${dir}\`.`;
}
