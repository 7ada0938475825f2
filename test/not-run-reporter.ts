/**
 * A node:test reporter beside TAP: it names every suite and test that did not run and why, so that a component missing
 * on this machine can never pass for a green run. A name filter (`--test-name-pattern`) is not a missing component.
 */

interface TestEventData {
  name: string;
  file?: string;
  nesting: number;
  skip?: string | boolean;
  details?: { type?: string };
}

interface TestEvent {
  type: string;
  data: TestEventData;
}

const filtered = /does not match pattern|--test-only/;

function reasonOf(skip: string | boolean): string {
  return typeof skip === 'string' ? skip : 'skipped';
}

export default async function* notRunReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const suites: { name: string; reason: string }[] = [];
  const tests: { name: string; reason: string }[] = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:skip') continue;
    const { skip, name, details } = event.data;
    if (skip === undefined || skip === false || filtered.test(reasonOf(skip))) continue;
    (details?.type === 'suite' ? suites : tests).push({ name, reason: reasonOf(skip) });
  }
  if (suites.length === 0 && tests.length === 0) {
    yield '# not run: nothing (every suite and test ran)\n';
    return;
  }
  const list = (kind: string, entries: { name: string; reason: string }[]) =>
    entries.length === 0 ? '' : `# ${entries.length} ${kind}${entries.length === 1 ? '' : 's'} not run:\n${entries.map(({ name, reason }) => `#   ${name} (${reason})\n`).join('')}`;
  yield list('suite', suites) + list('test', tests);
}
