import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { oneTokenPerMachine, replaceHint, suggestedNote, tokenPointer } from '../../main/providers/token-pointers.js';

test('where a new token comes from: the vendor by host, Harbor robots by user name, STACKIT keys by kind, a profile over all, else a generic sentence', () => {
  const pointer = (url: string, username?: string, kind: 'token' | 'stackit' = 'token') => tokenPointer({ name: 'r', url, kind, username });
  assert.match(pointer('https://pkg.harness.io').where, /^In Harness: the registry's "Set up client" makes a new token, or your profile → Account Settings → API keys/);
  assert.match(pointer('https://registry.thinkwisesoftware.com').where, /^In the Thinkwise Community Portal \(TCP\): Software → Thinkwise containers → Request token/);
  assert.deepEqual(pointer('https://harbor.example.org', 'robot$team+ci'), {
    where: 'In Harbor: the project → Robot Accounts → this robot → Refresh Secret (or a new robot account).',
    url: 'https://harbor.example.org/harbor/projects',
  });
  assert.equal(pointer('https://registry.onstackit.cloud', 'sa@sa.stackit.cloud', 'stackit').url, 'https://portal.stackit.cloud/');
  assert.match(pointer('https://ghcr.io', 'me').where, /^Tokens are made on the registry's web page/);
  const own = { where: 'Ask the platform team.', url: 'https://wiki.example.org/registry' };
  assert.deepEqual(tokenPointer({ name: 'r', url: 'https://pkg.harness.io', kind: 'token', pointer: own }), own, "a profile's pointer wins over the table");
  assert.equal(replaceHint('work', 'stackit'), 'Then `berth replace work --key-file <new key file>`.');
});

test('registries that want one token per machine get a description naming this machine and the day', () => {
  assert.equal(oneTokenPerMachine('https://registry.thinkwisesoftware.com'), true);
  assert.equal(oneTokenPerMachine('https://pkg.harness.io'), false);
  assert.equal(suggestedNote(new Date('2026-11-22T10:00:00Z')), `${hostname()}, added by Berth 2026-11-22`);
});
