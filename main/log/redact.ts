/** Every secret this process has handled; anything written to a log or shown as an error passes through `redact`. */
const knownSecrets = new Set<string>();

// Compact JWS/JWE (ID tokens, registry tokens) are redacted even when they were never registered.
const jwtPattern = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
// Basic credentials in a URL (`https://user:secret@host`).
const urlUserInfoPattern = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi;

export function rememberSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary words; no credential Berth handles is that short.
  if (value && value.length >= 6) knownSecrets.add(value);
}

export function redact(text: string): string {
  let out = text.replace(jwtPattern, '[redacted token]').replace(urlUserInfoPattern, '$1[redacted]@');
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}
