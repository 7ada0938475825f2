const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "27 days", "5 hours", "12 minutes", rounded down so a countdown never promises too much. */
export function duration(ms: number): string {
  const left = Math.max(0, ms);
  if (left >= 2 * dayMs) return plural(Math.floor(left / dayMs), 'day');
  if (left >= 2 * hourMs) return plural(Math.floor(left / hourMs), 'hour');
  return plural(Math.floor(left / minuteMs), 'minute');
}

export function countdown(at: string, now: number): string {
  const ms = Date.parse(at) - now;
  return ms <= 0 ? 'expired' : `${duration(ms)} left`;
}

export function relative(at: string, now: number): string {
  const ms = Date.parse(at) - now;
  if (Math.abs(ms) < minuteMs) return 'just now';
  return ms < 0 ? `${duration(-ms)} ago` : `in ${duration(ms)}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function fullDate(at: string): string {
  return dateFormat.format(new Date(at));
}

/** "daily", "every 12 hours", "every 2 days". */
export function cadence(hours: number): string {
  if (hours === 24) return 'daily';
  if (hours % 24 === 0) return `every ${plural(hours / 24, 'day')}`;
  return `every ${plural(hours, 'hour')}`;
}
