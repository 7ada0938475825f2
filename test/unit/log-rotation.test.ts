import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileLogger } from '../../main/log/logger.js';

test('the log never grows past its limit: a full one moves to berth.log.1 and the newest lines are always kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-log-'));
  try {
    const path = join(dir, 'berth.log');
    const log = fileLogger(path, undefined, 4096);
    for (let line = 0; line < 500; line++) log.info('keep-alive pass', { registry: 'work', line });
    assert.ok(statSync(path).size <= 4096 + 200, `berth.log is ${statSync(path).size} bytes`);
    assert.ok(statSync(`${path}.1`).size <= 4096 + 200, `berth.log.1 is ${statSync(`${path}.1`).size} bytes`);
    assert.match(readFileSync(path, 'utf8'), /line=499\n$/, 'the newest line is in berth.log');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(`${path}.1`).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
