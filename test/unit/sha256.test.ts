import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { sha256Hex } from '../../main/secrets/sha256.js';

test('sha256Hex agrees with node:crypto for every length around the block edges, non-ASCII paths and long texts', () => {
  const texts = ['', 'abc', '/home/alice/.config/berth', '/home/zoë/Läufe/berth 🚢', 'a'.repeat(1_000_000)];
  for (let length = 0; length <= 130; length++) texts.push(randomBytes(length).toString('latin1'));
  for (const text of texts) assert.equal(sha256Hex(text), createHash('sha256').update(text, 'utf8').digest('hex'), `length ${text.length}`);
});
