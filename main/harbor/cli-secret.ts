import { randomInt } from 'node:crypto';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Harbor's rule for CLI secrets (`requireValidSecret`): 8–128 characters, an upper-case letter, a lower-case letter and a digit. */
export function meetsHarborSecretRule(secret: string): boolean {
  return secret.length >= 8 && secret.length <= 128 && /[A-Z]/.test(secret) && /[a-z]/.test(secret) && /\d/.test(secret);
}

/** A new CLI secret: 32 characters drawn uniformly from letters and digits (about 190 bits). */
export function newCliSecret(length = 32): string {
  for (;;) {
    let secret = '';
    for (let i = 0; i < length; i++) secret += alphabet[randomInt(alphabet.length)];
    if (meetsHarborSecretRule(secret)) return secret;
  }
}
