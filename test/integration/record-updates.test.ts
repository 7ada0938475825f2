import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameRecordLoops } from '../helpers/writers.js';

test('two processes changing the same registry’s record at once (the scheduler planning its pass, and berth target moving its credential) lose neither change', async () => {
  assert.deepEqual(await sameRecordLoops(100), { failures: [], lost: [], overlapped: 0 });
});
