/** Berth's and the protocols' own words, which the window shows only in tooltips (web addresses aside). */
const jargon = /keep-alive|token service|docker gets it|refresh token|\bOIDC\b|\bissuer\b/i;

/** The jargon in text a person reads in the window, ignoring web addresses (Harbor's `/c/oidc/login` is a link). */
export function jargonIn(text: string): string | null {
  return jargon.exec(text.replace(/https?:\/\/\S+/g, ''))?.[0] ?? null;
}
