import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileCacheDir } from '../../main/cli/compile-cache.js';

test('the compile cache lives in each platform’s per-user cache folder, never in Berth’s config folder', () => {
  assert.equal(compileCacheDir({}, 'linux', '/home/ann'), '/home/ann/.cache/berth/compile-cache');
  assert.equal(compileCacheDir({ XDG_CACHE_HOME: '/var/cache/ann', BERTH_HOME: '/srv/berth' }, 'linux', '/home/ann'), '/var/cache/ann/berth/compile-cache');
  assert.equal(compileCacheDir({}, 'darwin', '/Users/ann'), '/Users/ann/Library/Caches/Berth/compile-cache');
  assert.equal(compileCacheDir({ LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' }, 'win32', 'C:\\Users\\ann'), 'C:\\Users\\ann\\AppData\\Local\\Berth\\Cache\\compile-cache');
});
