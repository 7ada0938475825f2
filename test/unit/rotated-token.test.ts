import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentRefreshToken, keepRotatedToken } from '../../main/providers/harbor-oidc.js';
import type { SecretKind, SecretStore } from '../../main/secrets/keychain.js';

/** A keychain that refuses the first `failures` writes. */
function flakyKeychain(failures: number): SecretStore & { stored: Map<string, string> } {
  const stored = new Map<string, string>();
  let refused = 0;
  return {
    stored,
    get: async (registry: string, kind: SecretKind) => stored.get(`${registry}/${kind}`) ?? null,
    set: async (registry: string, kind: SecretKind, value: string) => {
      if (refused < failures) {
        refused += 1;
        throw new Error('the keychain is busy');
      }
      stored.set(`${registry}/${kind}`, value);
    },
    delete: async (registry: string, kind: SecretKind) => void stored.delete(`${registry}/${kind}`),
  };
}

test('a rotated refresh token the keychain refuses twice is stored on the third try', async () => {
  const keychain = flakyKeychain(2);
  await keepRotatedToken(keychain, 'work', 'rotated-1', 1);
  assert.equal(keychain.stored.get('work/refresh-token'), 'rotated-1');
});

test('when the keychain keeps refusing, the error says so, and this process refreshes with the rotated token, not the spent one', async () => {
  const keychain = flakyKeychain(3);
  keychain.stored.set('work/refresh-token', 'spent');
  await assert.rejects(keepRotatedToken(keychain, 'work', 'rotated-2', 1), /the keychain is busy/);
  assert.equal(keychain.stored.get('work/refresh-token'), 'spent');
  assert.equal(await currentRefreshToken(keychain, 'work'), 'rotated-2');
  // Once the keychain answers again, the rotated token is stored and the keychain's copy is used from then on.
  await keepRotatedToken(keychain, 'work', 'rotated-3', 1);
  assert.equal(keychain.stored.get('work/refresh-token'), 'rotated-3');
  assert.equal(await currentRefreshToken(keychain, 'work'), 'rotated-3');
});
