// The `berth` command: the compile cache first, then the CLI (everything it imports is compiled through the cache).
import { enableCompileCache } from './compile-cache.js';

enableCompileCache();
await import('./berth-main.js');
