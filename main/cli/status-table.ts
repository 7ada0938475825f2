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
const methodCells: Record<RegistryView['method'], string> = { web: 'web login', oidc: 'own client', token: 'token', stackit: 'STACKIT key' };

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

const expiryWords = { given: ', as you said', jwt: ", from the token's exp", harbor: ', as Harbor says', key: ", the key's validUntil" } as const;

/** What `status` says of a token's or key's end, and of a STACKIT registry's short-lived tokens. */
function credentialLines(view: RegistryView, { now, timeZone }: TableOptions): string[] {
  const lines: string[] = [];
  if (view.kind === 'token') {
    if (view.expiresAt) lines.push(`  token expires ${when(view.expiresAt, now, timeZone)}${view.expirySource ? expiryWords[view.expirySource] : ''}`);
    else if (view.expirySource) lines.push('  token never expires, as Harbor says');
    else lines.push(`  token expiry unknown: set it with \`berth set ${view.name} --expires <date>\` so Berth warns before`);
    if (view.note) lines.push(`  token note: ${printable(view.note, 200)}`);
  }
  if (view.kind === 'stackit') {
    if (view.expiresAt) lines.push(`  service-account key valid until ${when(view.expiresAt, now, timeZone)}`);
    if (view.accessTokenExpiresAt) lines.push(`  current access token expires ${when(view.accessTokenExpiresAt, now, timeZone)}`);
    if (view.target === 'config') {
      lines.push(`  docker's copy of the access token lives only minutes and is renewed while Berth runs; \`berth target ${view.name} helper\` gives docker a fresh one at each pull`);
    }
  }
  if (view.state === 'rejected' && view.pointer) lines.push(`  new ${view.kind === 'stackit' ? 'key' : 'token'}: ${view.pointer.where}`);
  return lines;
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
  lines.push(...credentialLines(view, options));
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
