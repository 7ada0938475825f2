import { createInterface } from 'node:readline/promises';
import { runCli } from './berth.js';

async function confirm(question: string): Promise<boolean> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  createApi: async (env) => (await import('../api/node.js')).createNodeApi(env),
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm } : {}),
  untilInterrupted,
});
// Exit as soon as the output is out: idle keep-alive sockets would otherwise hold the process for a while.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
