// `docker-credential-berth`: the compile cache first, then the helper (docker starts it on every pull).
import { enableCompileCache } from './compile-cache.js';

enableCompileCache();
await import('./credential-helper-main.js');
