import type { CheckVerdict, RegistryState, SignInMethod } from '../../main/api/bridge-contract.js';

export const methodWords: Record<SignInMethod, string> = {
  web: 'Harbor’s web login',
  oidc: 'Berth’s own sign-in',
  token: 'a token',
  stackit: 'a STACKIT service account',
};

/** What each method is, technically, for the tooltip. */
export const methodTerms: Record<SignInMethod, string> = {
  web: 'Harbor’s own OIDC login (/c/oidc/login); nothing is registered for Berth anywhere',
  oidc: 'An OIDC client registered for Berth at the identity provider: authorization code with PKCE on a loopback port',
  token: 'A user name and token (robot account, personal access token): checked daily, replaced by you',
  stackit: 'A STACKIT service-account key in the keychain mints short-lived access tokens (the key flow)',
};

export const stateBadge: Record<RegistryState, { text: string; tone: 'good' | 'warn' | 'bad' | 'quiet' }> = {
  valid: { text: 'Valid', tone: 'good' },
  expiring: { text: 'Expiring', tone: 'warn' },
  offline: { text: 'Offline', tone: 'warn' },
  'signed-out': { text: 'Signed out', tone: 'quiet' },
  'needs-sign-in': { text: 'Sign-in needed', tone: 'bad' },
  'needs-web-login': { text: 'Web login needed', tone: 'bad' },
  rejected: { text: 'Rejected', tone: 'bad' },
  'keychain-locked': { text: 'Keychain locked', tone: 'bad' },
  error: { text: 'Error', tone: 'bad' },
};

/** What the state means for `docker pull`, when there is no error sentence to show instead. */
export const stateSentence: Record<RegistryState, string> = {
  valid: 'docker has working credentials.',
  expiring: 'docker still works, but the login expires soon.',
  offline: 'Berth cannot reach the registry or the identity provider; it keeps trying. Offline is not expired.',
  'signed-out': 'Not signed in: docker has no credentials from Berth.',
  'needs-sign-in': 'Berth’s session has ended: sign in again.',
  'needs-web-login': 'Harbor’s own session has expired: log in to its web UI.',
  rejected: 'The registry no longer accepts this token: it expired or was revoked. Get a new one and replace it.',
  'keychain-locked': 'The OS keychain is locked or not answering: unlock it, and Berth tries again.',
  error: 'Something went wrong.',
};

export const verdictWords: Record<CheckVerdict, { text: string; tone: 'good' | 'warn' | 'bad' }> = {
  'will-work': { text: 'Will work', tone: 'good' },
  'login-ok': { text: 'Login works', tone: 'good' },
  'no-credentials': { text: 'No credentials', tone: 'bad' },
  rejected: { text: 'Rejected', tone: 'bad' },
  denied: { text: 'Denied', tone: 'bad' },
  'not-found': { text: 'Not found', tone: 'bad' },
  unreachable: { text: 'Unreachable', tone: 'warn' },
  tls: { text: 'TLS problem', tone: 'bad' },
};

/** Where a token or key registry's state means something else than a Harbor login's. */
export const tokenStateSentence: Partial<Record<RegistryState, string>> = {
  valid: 'docker has working credentials; Berth checks the token daily.',
  expiring: 'docker still works, but the token expires soon: get a new one and replace it before then.',
};
