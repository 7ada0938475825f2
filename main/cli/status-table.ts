import type { RegistryView } from '../api/contract.js';
import { nearestExpiry } from '../api/registry-view.js';
import { printable } from '../log/printable.js';
import { timeAhead, when } from './time-words.js';

/** What the table needs to know about where it is shown. */
export interface TableOptions {
  now: number;
  /** The terminal's width; absent when the output is not a terminal (nothing is cut then). */
  width?: number;
  timeZone?: string;
}

/** The sign-in method in a table cell: short, but words a person knows (the README names them too). */
const methodCells: Record<RegistryView['method'], string> = { web: 'web login', oidc: 'own client', 'docker-login': 'docker login' };

// Columns that may be cut with "…" when a table is wider than the terminal, widest first (names stay whole: people type them).
const shrinkable = new Set(['REGISTRY', 'USER']);

/** Rows under a header, each column as wide as its widest cell, two spaces apart; cut to `width` where it is given. */
export function table(header: string[], rows: string[][], width?: number): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const total = () => widths.reduce((sum, next) => sum + next, 0) + 2 * (widths.length - 1);
  while (width !== undefined && total() > width) {
    const candidates = header.map((title, column) => ({ title, column })).filter(({ title, column }) => shrinkable.has(title) && (widths[column] as number) > Math.max(title.length, 6));
    if (candidates.length === 0) break;
    const widest = candidates.reduce((a, b) => ((widths[b.column] as number) > (widths[a.column] as number) ? b : a));
    widths[widest.column] = (widths[widest.column] as number) - 1;
  }
  const cut = (text: string, size: number) => (text.length > size ? `${text.slice(0, size - 1)}…` : text);
  return [header, ...rows].map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cut(cell, widths[column] as number) : cut(cell, widths[column] as number).padEnd(widths[column] as number)))
      .join('  ')
      .trimEnd(),
  );
}

/** How long until the nearest expiry and until the next keep-alive pass, e.g. "29 days / 23 hours" (the dates are in the details). */
function expiresAndNext(view: RegistryView, now: number): string {
  const expiry = nearestExpiry(view);
  const next = view.nextKeepAliveAt ? timeAhead(Date.parse(view.nextKeepAliveAt), now) : '-';
  return `${expiry === undefined ? '-' : timeAhead(expiry, now)} / ${next}`;
}

/** The lines under the table for one registry: dates in full, errors, notices and fixes; none when there is nothing to say. */
function details(view: RegistryView, options: TableOptions): string[] {
  const { now, timeZone } = options;
  const lines: string[] = [];
  const times: string[] = [];
  if (view.idleDeadline) times.push(`Harbor's session idles out ${when(view.idleDeadline, now, timeZone)}`);
  if (view.lastKeptAliveAt) times.push(`last kept alive ${when(view.lastKeptAliveAt, now, timeZone)}`);
  if (view.nextKeepAliveAt) times.push(`next pass ${when(view.nextKeepAliveAt, now, timeZone)}`);
  if (times.length > 0) lines.push(`  ${times.join('; ')}`);
  if (view.sessionExpiresAt) {
    lines.push(`  Berth's own session ends on ${when(view.sessionExpiresAt, now, timeZone)}${view.sessionFixed ? ', keep-alive cannot extend it' : ''}`);
  }
  if (view.notice) lines.push(`  note: ${view.notice}`);
  if (view.lastError) lines.push(`  ${view.state === 'valid' ? 'last problem' : 'problem'}: ${view.lastError}`);
  if (view.actionUrl) lines.push(`  fix: ${view.actionUrl}`);
  return lines.length > 0 ? [`${view.name}:`, ...lines] : [];
}

/** `berth status`: a table with headers, then the details of each registry that has any. */
export function statusTable(views: RegistryView[], options: TableOptions): string {
  const rows = views.map((view) => [
    view.name,
    view.registry,
    // A user name kept before names were checked may hold a new line that would forge a line of this listing.
    view.username === null ? '-' : printable(view.username, 255),
    methodCells[view.method],
    view.target,
    view.state,
    view.state === 'signed-out' ? '-' : expiresAndNext(view, options.now),
  ]);
  const lines = table(['NAME', 'REGISTRY', 'USER', 'METHOD', 'TARGET', 'STATE', 'EXPIRES / NEXT'], rows, options.width);
  const more = views.flatMap((view) => details(view, options));
  return [...lines, ...(more.length > 0 ? ['', ...more] : [])].join('\n');
}

/** `berth list`: name, registry, how it signs in, and state. */
export function listTable(views: RegistryView[], width?: number): string {
  return table(['NAME', 'REGISTRY', 'METHOD', 'STATE'], views.map((view) => [view.name, view.registry, methodCells[view.method], view.state]), width).join('\n');
}
