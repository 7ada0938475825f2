import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLogLine } from '../../main/log/logger.js';
import { redact, rememberSecret } from '../../main/log/redact.js';
import { parseJsonObject } from '../../main/credentials/json-file.js';

test('known secrets, JWTs and URL credentials never reach a log line', () => {
  rememberSecret('Sup3rSecretValue');
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
  const line = formatLogLine('warn', `rejected Sup3rSecretValue with ${jwt} at https://alice:hunter22@harbor.example.org/`, { secret: 'Sup3rSecretValue' });
  assert.ok(!line.includes('Sup3rSecretValue'));
  assert.ok(!line.includes(jwt));
  assert.ok(!line.includes('hunter22'));
  assert.match(line, /\[redacted\]/);
  assert.equal(redact('nothing secret here'), 'nothing secret here');
});

test('JSON errors name the file, line and column', () => {
  assert.throws(() => parseJsonObject('{\n  "a": 1,\n  "b" 2\n}', '/tmp/x.json'), /\/tmp\/x\.json:3:7: not valid JSON \(ColonExpected\)/);
  assert.throws(() => parseJsonObject('[1, 2]', '/tmp/y.json'), /\/tmp\/y\.json: expected a JSON object/);
  assert.throws(() => parseJsonObject('{"a": 1', '/tmp/z.json'), /\/tmp\/z\.json:1:8/);
});
