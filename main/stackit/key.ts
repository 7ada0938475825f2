import { createPrivateKey, createSign, randomUUID } from 'node:crypto';
import { BerthError } from '../errors.js';
import { rememberSecret } from '../log/redact.js';

/**
 * A STACKIT service-account key as the portal and the service-account API hand it out (`ServiceAccountKeyResponse` in
 * stackitcloud/stackit-sdk-go core/clients/key_flow.go): the key flow uses `credentials.iss`, `sub`, `aud`, `kid`, the
 * private key and, when present, `tokenEndpoint`; `validUntil` is when the key stops working.
 */
export interface ServiceAccountKey {
  kid: string;
  /** The service account's e-mail. */
  iss: string;
  /** The service account's id (a UUID). */
  sub: string;
  aud: string;
  privateKeyPem: string;
  tokenEndpoint?: string;
  validUntil?: Date;
}

/** The SDK's default token endpoint (key_flow.go, `tokenAPI`). */
export const defaultTokenEndpoint = 'https://service-account.api.stackit.cloud/token';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads a key file's JSON; every problem names the file and the field. A PEM where the JSON belongs is said as such (as the SDK does). */
export function parseServiceAccountKey(text: string, source: string): ServiceAccountKey {
  if (/^\s*-----BEGIN/.test(text)) throw new BerthError('usage', `${source} is a PEM key, not a STACKIT service-account key file: give the JSON file the portal created (it holds the private key).`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BerthError('usage', `${source} is not JSON (${error instanceof Error ? error.message : String(error)}): give the service-account key file from the STACKIT portal.`);
  }
  const credentials = isObject(data) ? data.credentials : undefined;
  if (!isObject(data) || !isObject(credentials)) throw new BerthError('usage', `${source} is not a STACKIT service-account key: it has no "credentials" object.`);
  const field = (name: string): string => {
    const value = credentials[name];
    if (typeof value !== 'string' || value === '') throw new BerthError('usage', `${source}: credentials.${name} is missing or not a string.`);
    return value;
  };
  const key: ServiceAccountKey = { kid: field('kid'), iss: field('iss'), sub: field('sub'), aud: field('aud'), privateKeyPem: '' };
  if (!uuidPattern.test(key.sub)) throw new BerthError('usage', `${source}: credentials.sub must be the service account's id (a UUID), not "${key.sub}".`);
  const privateKey = credentials.privateKey;
  if (typeof privateKey === 'string') rememberSecret(privateKey);
  if (typeof privateKey !== 'string' || privateKey === '') {
    throw new BerthError('usage', `${source} holds no private key (credentials.privateKey): STACKIT includes it only in the file it offers once when it creates the key; create a new key and use that file.`);
  }
  try {
    const parsed = createPrivateKey(privateKey);
    if (parsed.asymmetricKeyType !== 'rsa') throw new Error(`a ${parsed.asymmetricKeyType ?? 'non-RSA'} key`);
  } catch (error) {
    throw new BerthError('usage', `${source}: credentials.privateKey is not an RSA private key in PEM (${error instanceof Error ? error.message : String(error)}).`);
  }
  key.privateKeyPem = privateKey;
  if (typeof credentials.tokenEndpoint === 'string' && credentials.tokenEndpoint !== '') key.tokenEndpoint = credentials.tokenEndpoint;
  if (typeof data.validUntil === 'string') {
    const until = new Date(data.validUntil);
    if (Number.isNaN(until.getTime())) throw new BerthError('usage', `${source}: validUntil is not a date.`);
    key.validUntil = until;
  }
  return key;
}

/** What Berth keeps in the keychain: the parts of the key the flow needs, so the file is not needed afterwards. */
export function keychainForm(key: ServiceAccountKey): string {
  return JSON.stringify({ ...key, validUntil: key.validUntil?.toISOString() });
}

export function fromKeychain(text: string, registry: string): ServiceAccountKey {
  try {
    const value = JSON.parse(text) as ServiceAccountKey & { validUntil?: string };
    return { ...value, ...(value.validUntil ? { validUntil: new Date(value.validUntil) } : {}) } as ServiceAccountKey;
  } catch {
    throw new BerthError('rejected', `The service-account key of ${registry} in the keychain is unreadable: replace it with \`berth replace ${registry} --key-file <key file>\`.`, { registry });
  }
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * The self-signed assertion of the key flow (key_flow.go `generateSelfSignedJWT`): RS512, `kid` in the header, claims
 * iss, sub, aud (one string), a fresh jti, iat, and exp one hour on.
 */
export function signedAssertion(key: ServiceAccountKey, now: Date): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS512', typ: 'JWT', kid: key.kid }));
  const claims = base64url(JSON.stringify({ iss: key.iss, sub: key.sub, aud: key.aud, jti: randomUUID(), iat, exp: iat + 3600 }));
  const signature = createSign('RSA-SHA512').update(`${header}.${claims}`).sign(key.privateKeyPem);
  return `${header}.${claims}.${base64url(signature)}`;
}
