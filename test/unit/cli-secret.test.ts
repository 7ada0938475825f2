import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meetsHarborSecretRule, newCliSecret } from '../../main/harbor/cli-secret.js';

test('new CLI secrets are 32 random letters and digits that meet Harbor’s rule', () => {
  const secrets = new Set(Array.from({ length: 2000 }, () => newCliSecret()));
  assert.equal(secrets.size, 2000);
  for (const secret of secrets) {
    assert.match(secret, /^[A-Za-z0-9]{32}$/);
    assert.ok(meetsHarborSecretRule(secret));
  }
  assert.ok(!meetsHarborSecretRule('alllowercase1'), 'no upper-case letter');
  assert.ok(!meetsHarborSecretRule('Short1'), 'too short');
  assert.ok(!meetsHarborSecretRule(`A1${'a'.repeat(127)}`), 'too long');
});
