/** Text for a terminal: every control character but new line and tab shown as `?`, so no escape sequence from a server reaches it. */
export function terminalText(text: string): string {
  return text.replace(/[^\P{Cc}\n\t]/gu, '?');
}

/** Text from a server or a file, safe to show on a terminal or in the window: control characters (escape sequences, new lines) as `?`, at most `max` characters. */
export function printable(text: string, max = 500): string {
  const clean = text.replace(/\p{Cc}/gu, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
