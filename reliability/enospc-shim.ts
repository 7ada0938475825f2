import { syncBuiltinESMExports } from 'node:module';
import nodeFs from 'node:fs';

// Loaded with --import where no small file system can be mounted: writes under $BERTH_FULL_DISK fail as on a full disk.
const full = process.env.BERTH_FULL_DISK;
if (full) {
  const writeSync = nodeFs.writeSync;
  nodeFs.writeSync = ((fd: number, ...rest: unknown[]) => {
    let path = '';
    try {
      path = nodeFs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // Not a file with a path: let it through.
    }
    if (path.startsWith(full)) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    return (writeSync as (...args: unknown[]) => number)(fd, ...rest);
  }) as typeof nodeFs.writeSync;
  syncBuiltinESMExports();
}
