import module from 'node:module';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';

/** Where V8's compiled code for Berth's CLI is kept: the user's cache folder, never the config folder (it is not settings). */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  switch (platform) {
    case 'darwin':
      return posix.join(home, 'Library', 'Caches', 'Berth', 'compile-cache');
    case 'win32':
      return win32.join(env.LOCALAPPDATA ?? win32.join(home, 'AppData', 'Local'), 'Berth', 'Cache', 'compile-cache');
    default:
      return posix.join(env.XDG_CACHE_HOME || posix.join(home, '.cache'), 'berth', 'compile-cache');
  }
}

type WithCompileCache = typeof module & { enableCompileCache?: (dir?: string) => unknown };

/** Node 22.1 and later (Electron 45's) keep compiled code between runs, so a command starts without compiling Berth again. */
export function enableCompileCache(): void {
  // Node 20 has no compile cache; it simply compiles as before.
  (module as WithCompileCache).enableCompileCache?.(compileCacheDir());
}
