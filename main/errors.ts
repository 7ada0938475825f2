/** What went wrong, as something a person (or a script reading `code`) can act on. */
export type ErrorCode =
  | 'usage'
  | 'not-found'
  | 'exists'
  | 'invalid-setting'
  | 'file-parse'
  | 'file-write'
  | 'file-changed'
  | 'keychain'
  | 'keychain-locked'
  | 'unreachable'
  | 'tls'
  | 'oidc'
  | 'session-ended'
  | 'lock-timeout'
  | 'access-denied'
  | 'timeout'
  | 'cancelled'
  | 'rejected'
  | 'browser'
  | 'not-oidc'
  | 'needs-web-login'
  | 'audience'
  | 'issuer'
  | 'port-in-use'
  | 'port-unavailable'
  | 'not-signed-in'
  | 'harbor'
  | 'helper';

export class BerthError extends Error {
  override readonly name = 'BerthError';
  readonly code: ErrorCode;
  readonly registry: string | undefined;
  /** A URL where the person fixes this (e.g. Harbor's web login). */
  readonly actionUrl: string | undefined;

  constructor(code: ErrorCode, message: string, options: { registry?: string; cause?: unknown; actionUrl?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.registry = options.registry;
    this.actionUrl = options.actionUrl;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
