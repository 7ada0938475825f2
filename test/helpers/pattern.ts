/** `text` as a regular expression that matches it literally: paths, hosts and names inside an expected message. */
export function literally(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
