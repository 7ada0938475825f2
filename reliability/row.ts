/** One line of the reliability table: what was tried, how often it went wrong, and how often something was lost. */
export interface Row {
  test: string;
  /** The tries the row set out to make: a row that made fewer did not test what it says. */
  wanted: number;
  tries: number;
  /** Tries where Berth did the wrong thing (a wrong state, a hang, a crash) without losing anything. */
  failures: number;
  /** Tries after which a credential, an entry or a setting was gone or wrong, or a secret went where it must not. */
  lost: number;
  /** What went wrong, a line each (for the report, not the table). */
  details: string[];
  /** Cases this machine could not set up: shown in the table as not run, never counted as passed. */
  notRun: string[];
  /** How this machine ran the row's cases (a real tmpfs or the ENOSPC stand-in, a read-only bind mount or a stand-in). */
  environment: string[];
  /** How long the row took. */
  ms: number;
}

export function row(test: string, wanted: number): Row {
  return { test, wanted, tries: 0, failures: 0, lost: 0, details: [], notRun: [], environment: [], ms: 0 };
}

/** Runs one row of the suite; whatever it throws (a rig that would not start, a sign-in that failed) is a failure of that row, and the run goes on. */
export async function measured(test: string, wanted: number, work: (into: Row) => Promise<void>): Promise<Row> {
  const into = row(test, wanted);
  const started = Date.now();
  try {
    await work(into);
  } catch (error) {
    fail(into, `the row stopped early: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  into.ms = Date.now() - started;
  return into;
}

export function fail(into: Row, what: string): void {
  into.failures += 1;
  into.details.push(`failure: ${what}`);
}

export function lose(into: Row, what: string): void {
  into.lost += 1;
  into.details.push(`lost: ${what}`);
}

/** The table, in Markdown: "test | tries | failures | lost"; each row names how it ran, what it could not run, and a short count. */
export function table(rows: Row[]): string {
  const label = (line: Row) =>
    [
      line.test,
      ...(line.environment.length ? [`ran with ${line.environment.join(', ')}`] : []),
      ...(line.tries < line.wanted ? [`SHORT: ${line.tries} of ${line.wanted} tries`] : []),
      ...(line.notRun.length ? [`NOT RUN: ${line.notRun.join('; ')}`] : []),
    ].join('; ');
  const width = Math.max(4, ...rows.map((line) => label(line).length));
  const lines = [`| ${'test'.padEnd(width)} | tries | failures | lost |`, `|${'-'.repeat(width + 2)}|------:|---------:|-----:|`];
  for (const line of rows) lines.push(`| ${label(line).padEnd(width)} | ${String(line.tries).padStart(5)} | ${String(line.failures).padStart(8)} | ${String(line.lost).padStart(4)} |`);
  return lines.join('\n');
}

/**
 * Why the run fails, a line each: failures, losses, and rows short of their tries; in strict mode (CI) also every case
 * that did not run, since a case this machine skipped is a case nobody tested.
 */
export function verdict(rows: Row[], strict: boolean): string[] {
  return rows.flatMap((line) => [
    ...(line.failures > 0 ? [`${line.test}: ${line.failures} failure(s)`] : []),
    ...(line.lost > 0 ? [`${line.test}: ${line.lost} lost`] : []),
    ...(line.tries < line.wanted ? [`${line.test}: only ${line.tries} of the ${line.wanted} tries it set out to make`] : []),
    ...(strict ? line.notRun.map((what) => `${line.test}: not run: ${what}`) : []),
  ]);
}
