import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChallenge } from '../../main/registry/token-auth.js';
import { helperFor, hostOf, registryKey } from '../../main/credentials/docker-config.js';

test('parseChallenge reads Bearer challenges as docker does', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://harbor.example.org/service/token",service="harbor-registry"'), {
    scheme: 'bearer',
    params: { realm: 'https://harbor.example.org/service/token', service: 'harbor-registry' },
  });
  assert.deepEqual(parseChallenge('Bearer realm="https://r/t", service="s", scope="repository:a/b:pull,push", error="insufficient_scope"').params, {
    realm: 'https://r/t',
    service: 's',
    scope: 'repository:a/b:pull,push',
    error: 'insufficient_scope',
  });
  assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
  assert.equal(parseChallenge('Bearer realm="a \\"quoted\\" realm"').params.realm, 'a "quoted" realm');
});

test('registry keys are normalised like the docker CLI', () => {
  assert.equal(registryKey('https://harbor.example.org/'), 'harbor.example.org');
  assert.equal(registryKey('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  assert.equal(registryKey('Harbor.Example.org'), 'harbor.example.org');
  assert.equal(registryKey('docker.io'), 'https://index.docker.io/v1/');
  assert.equal(registryKey('https://index.docker.io/v1/'), 'https://index.docker.io/v1/');
  assert.equal(registryKey('registry-1.docker.io'), 'https://index.docker.io/v1/');
  assert.equal(hostOf('harbor.example.org:8443/project/repo'), 'harbor.example.org:8443');
});

test('credHelpers for the host wins over credsStore, as in docker', () => {
  assert.equal(helperFor({ credsStore: 'desktop', credHelpers: { 'harbor.example.org': 'berth' } }, 'harbor.example.org'), 'berth');
  assert.equal(helperFor({ credsStore: 'desktop', credHelpers: { 'other.example.org': 'berth' } }, 'harbor.example.org'), 'desktop');
  assert.equal(helperFor({ credHelpers: { 'https://harbor.example.org': 'pass' } }, 'harbor.example.org'), 'pass');
  assert.equal(helperFor({ auths: {} }, 'harbor.example.org'), undefined);
  assert.equal(helperFor({ credsStore: '' }, 'harbor.example.org'), undefined);
});
