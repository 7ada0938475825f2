import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `changed` once the files stop changing for `settleMs` after any of `files()` was written, created or removed;
 * returns the function that stops watching. Each file's folder is watched, not the file: `docker login` replaces
 * config.json, which ends a watch on the file itself. A folder that is not there (yet) is looked for every `retryMs`.
 */
export function watchFiles(files: () => string[], changed: () => void, settleMs = 200, retryMs = 5_000): () => void {
  const watchers = new Map<string, FSWatcher>();
  let settleTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const settle = () => {
    if (settleTimer) clearTimeout(settleTimer);
    settleTimer = setTimeout(() => {
      settleTimer = undefined;
      if (!closed) changed();
    }, settleMs);
  };

  const rewatch = () => {
    retryTimer = undefined;
    if (closed) return;
    const folders = new Map<string, Set<string>>();
    for (const file of files()) folders.set(dirname(file), (folders.get(dirname(file)) ?? new Set<string>()).add(basename(file)));
    let missing = false;
    for (const [folder, names] of folders) {
      if (watchers.has(folder)) continue;
      try {
        const drop = () => {
          watcher.close();
          if (watchers.get(folder) === watcher) watchers.delete(folder);
          if (!retryTimer && !closed) retryTimer = setTimeout(rewatch, retryMs).unref();
        };
        const watcher = watch(folder, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name.toString())) settle();
          // A folder that went away ends its watch; it is watched again once it is back.
          if (!existsSync(folder)) drop();
        });
        watcher.on('error', drop);
        watchers.set(folder, watcher);
      } catch {
        missing = true;
      }
    }
    if (missing) retryTimer = setTimeout(rewatch, retryMs).unref();
  };

  rewatch();
  return () => {
    closed = true;
    clearTimeout(settleTimer);
    clearTimeout(retryTimer);
    for (const watcher of watchers.values()) watcher.close();
    watchers.clear();
  };
}
