/** Dates as a person reads them on a terminal: local time, and how far away. */

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "29 days", "3 hours", "90 minutes": whole units, rounded down, minutes below two hours and hours below two days. */
function span(distance: number): string {
  if (distance < 2 * hourMs) return plural(Math.floor(distance / minuteMs), 'minute');
  return distance < 2 * dayMs ? plural(Math.floor(distance / hourMs), 'hour') : plural(Math.floor(distance / dayMs), 'day');
}

/** "in 29 days", "3 hours ago", "now". */
export function relativeTime(at: number, now: number): string {
  const distance = Math.abs(at - now);
  if (distance < minuteMs) return 'now';
  return at > now ? `in ${span(distance)}` : `${span(distance)} ago`;
}

/** As `relativeTime`, without "in" for what is ahead ("29 days"), where a table's header already says it is to come. */
export function timeAhead(at: number, now: number): string {
  return at - now >= minuteMs ? span(at - now) : relativeTime(at, now);
}

/** "2026-12-06 14:03" in the given time zone (default: this machine's). */
export function localTime(at: number, timeZone?: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((candidate) => candidate.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/** "2026-12-06 14:03 (in 3 hours)". */
export function when(iso: string, now: number, timeZone?: string): string {
  const at = Date.parse(iso);
  return `${localTime(at, timeZone)} (${relativeTime(at, now)})`;
}
