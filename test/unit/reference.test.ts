import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../main/errors.js';
import { formatReference, parseReference } from '../../main/registry/reference.js';

test('image references are read the way docker reads them', () => {
  assert.deepEqual(parseReference('ubuntu'), { registry: 'docker.io', repository: 'library/ubuntu', tag: 'latest' });
  assert.deepEqual(parseReference('ubuntu:22.04'), { registry: 'docker.io', repository: 'library/ubuntu', tag: '22.04' });
  assert.deepEqual(parseReference('redis:7'), { registry: 'docker.io', repository: 'library/redis', tag: '7' });
  assert.deepEqual(parseReference('bitnami/redis'), { registry: 'docker.io', repository: 'bitnami/redis', tag: 'latest' });
  assert.deepEqual(parseReference('harbor.example.org/team/app/api:1.2'), { registry: 'harbor.example.org', repository: 'team/app/api', tag: '1.2' });
  assert.deepEqual(parseReference('127.0.0.1:5000/demo/hello'), { registry: '127.0.0.1:5000', repository: 'demo/hello', tag: 'latest' });
  assert.deepEqual(parseReference('localhost/demo'), { registry: 'localhost', repository: 'demo', tag: 'latest' });
  const digest = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseReference(`harbor.example.org/demo/hello@${digest}`), { registry: 'harbor.example.org', repository: 'demo/hello', digest });
  assert.equal(formatReference(parseReference('ubuntu')), 'docker.io/library/ubuntu:latest');
});

test('a registry alone (a host with a dot, or localhost) means: check the login', () => {
  assert.deepEqual(parseReference('harbor.example.org'), { registry: 'harbor.example.org' });
  assert.deepEqual(parseReference('https://harbor.example.org/'), { registry: 'harbor.example.org' });
  assert.deepEqual(parseReference('127.0.0.1:5000'), { registry: '127.0.0.1:5000' });
  assert.deepEqual(parseReference('localhost:5000'), { registry: 'localhost:5000' });
});

test('malformed references are usage errors that say what is wrong', () => {
  for (const [input, why] of [
    ['harbor.example.org/Team/app', /lower-case/],
    ['app:bad tag', /not a valid tag/],
    ['app@sha256:xyz', /not a digest/],
    ['', /empty/],
    ['harbor.example.org/demo//x', /not a valid repository name component/],
  ] as const) {
    assert.throws(() => parseReference(input), (error: unknown) => error instanceof BerthError && error.code === 'usage' && why.test(error.message), input);
  }
});
