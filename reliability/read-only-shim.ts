import { syncBuiltinESMExports } from 'node:module';
import nodeFs from 'node:fs';
import { resolve } from 'node:path';

// Loaded with --import where neither a read-only bind mount nor chattr works here: every call that would change something
// under $BERTH_READ_ONLY fails as on a read-only file system, the way root meets one (mode bits do not stop root).
const folder = process.env.BERTH_READ_ONLY;
if (folder) {
  const inside = (path: unknown) => (typeof path === 'string' || path instanceof URL) && resolve(path instanceof URL ? path.pathname : path).startsWith(resolve(folder));
  const refused = (syscall: string, path: unknown) => Object.assign(new Error(`EROFS: read-only file system, ${syscall} '${String(path)}'`), { code: 'EROFS', errno: -30, syscall, path: String(path) });
  const { O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND } = nodeFs.constants;
  const writing = (flags: unknown) => (typeof flags === 'number' ? (flags & (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)) !== 0 : typeof flags === 'string' && /[wax+]/.test(flags));
  type Call = (...args: unknown[]) => unknown;
  // Which argument names the path that would change, for each call that changes something; `open` only when it opens for writing.
  const changing: Record<string, (args: unknown[]) => unknown[]> = {
    open: (args) => (writing(args[1]) ? [args[0]] : []),
    writeFile: (args) => [args[0]],
    appendFile: (args) => [args[0]],
    mkdir: (args) => (nodeFs.existsSync(String(args[0])) ? [] : [args[0]]),
    rename: (args) => [args[0], args[1]],
    unlink: (args) => [args[0]],
    rm: (args) => [args[0]],
    rmdir: (args) => [args[0]],
    link: (args) => [args[1]],
    symlink: (args) => [args[1]],
    chmod: (args) => [args[0]],
    utimes: (args) => [args[0]],
    copyFile: (args) => [args[1]],
  };
  const guard = (target: Record<string, unknown>, name: string, paths: (args: unknown[]) => unknown[]) => {
    const original = target[name] as Call | undefined;
    if (typeof original !== 'function') return;
    target[name] = function (this: unknown, ...args: unknown[]) {
      const path = paths(args).find(inside);
      if (path !== undefined) {
        const error = refused(name.replace(/Sync$/, ''), path);
        // The callback form reports the error; the others throw (or reject, for the promises).
        const callback = args.at(-1);
        if (typeof callback === 'function' && !name.endsWith('Sync') && target !== (nodeFs.promises as unknown)) return void process.nextTick(() => (callback as Call)(error));
        if (target === (nodeFs.promises as unknown)) return Promise.reject(error);
        throw error;
      }
      return original.apply(this, args);
    };
  };
  for (const [name, paths] of Object.entries(changing)) {
    guard(nodeFs as unknown as Record<string, unknown>, `${name}Sync`, paths);
    guard(nodeFs as unknown as Record<string, unknown>, name, paths);
    guard(nodeFs.promises as unknown as Record<string, unknown>, name, paths);
  }
  syncBuiltinESMExports();
}
