import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepAliveIntervalMs, registryView } from '../../main/api/registry-view.js';
import { defaultPreferences, type HarborRegistrySettings } from '../../main/settings/model.js';

const registry: HarborRegistrySettings = {
  name: 'work',
  kind: 'harbor',
  method: 'oidc',
  url: 'https://harbor.example.org',
  issuer: 'https://idp.example.org',
  clientId: 'berth',
  scopes: 'openid',
  authParams: {},
  idleDays: 30,
};
const now = Date.parse('2026-11-22T12:00:00Z');
const inDays = (days: number) => new Date(now + days * 86_400_000).toISOString();

test('valid and offline registries show as expiring when an expiry is within the warning threshold', () => {
  const state = (record: Parameters<typeof registryView>[1], settings = registry) => registryView(settings, record, defaultPreferences, now).state;
  assert.equal(state({ state: 'valid', idleDeadline: inDays(29) }), 'valid');
  assert.equal(state({ state: 'valid', idleDeadline: inDays(2) }), 'expiring');
  assert.equal(state({ state: 'valid', idleDeadline: inDays(29), sessionExpiresAt: inDays(1) }), 'expiring', 'Berth’s own session counts too');
  assert.equal(state({ state: 'offline', idleDeadline: inDays(2) }), 'expiring', 'offline for weeks is worth a warning');
  assert.equal(state({ state: 'needs-web-login', idleDeadline: inDays(2) }), 'needs-web-login', 'an action-needed state is never softened');
  assert.equal(state({ state: 'valid', idleDeadline: inDays(2) }, { ...registry, warnDays: 1 }), 'valid', 'the threshold is per registry');
});

test('keep-alive runs every 24 h unless the registry says otherwise; 0 turns it off', () => {
  assert.equal(keepAliveIntervalMs(registry, defaultPreferences), 24 * 3_600_000);
  assert.equal(keepAliveIntervalMs({ ...registry, keepAliveHours: 6 }, defaultPreferences), 6 * 3_600_000);
  assert.equal(keepAliveIntervalMs({ ...registry, keepAliveHours: 0 }, defaultPreferences), null);
});
