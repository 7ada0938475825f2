/** One line of the reliability table: what was tried, how often it went wrong, and how often something was lost. */
export interface Row {
  test: string;
  tries: number;
  /** Tries where Berth did the wrong thing (a wrong state, a hang, a crash) without losing anything. */
  failures: number;
  /** Tries after which a credential, an entry or a setting was gone or wrong, or a secret went where it must not. */
  lost: number;
  /** What went wrong, a line each (for the report, not the table). */
  details: string[];
  /** Cases this machine could not set up: shown in the table as not run, never counted as passed. */
  notRun: string[];
}

export function row(test: string): Row {
  return { test, tries: 0, failures: 0, lost: 0, details: [], notRun: [] };
}

/** Runs one row of the suite; whatever it throws (a rig that would not start, a sign-in that failed) is a failure of that row, and the run goes on. */
export async function measured(test: string, work: (into: Row) => Promise<void>): Promise<Row> {
  const into = row(test);
  try {
    await work(into);
  } catch (error) {
    fail(into, `the row stopped early: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
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

/** The table, in Markdown: "test | tries | failures | lost"; a case that could not run is named in its row. */
export function table(rows: Row[]): string {
  const label = (line: Row) => (line.notRun.length ? `${line.test}; NOT RUN: ${line.notRun.join('; ')}` : line.test);
  const width = Math.max(4, ...rows.map((line) => label(line).length));
  const lines = [`| ${'test'.padEnd(width)} | tries | failures | lost |`, `|${'-'.repeat(width + 2)}|------:|---------:|-----:|`];
  for (const line of rows) lines.push(`| ${label(line).padEnd(width)} | ${String(line.tries).padStart(5)} | ${String(line.failures).padStart(8)} | ${String(line.lost).padStart(4)} |`);
  return lines.join('\n');
}
