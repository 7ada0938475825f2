import { runCli } from './berth.js';
import { endProcess } from './end-process.js';
import { terminalText } from '../log/printable.js';

/** One line from the terminal; with `hidden`, what is typed is not echoed (a CLI secret). Ctrl-C ends Berth. */
async function prompt(question: string, options: { hidden?: boolean } = {}): Promise<string> {
  // Loaded only when a question is asked: most commands never ask one.
  const [{ createInterface }, { Writable }] = await Promise.all([import('node:readline/promises'), import('node:stream')]);
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const terminal = createInterface({ input: process.stdin, output, terminal: true });
  terminal.on('SIGINT', () => {
    process.stderr.write('\n');
    process.exit(130);
  });
  try {
    const answer = terminal.question(question);
    muted = options.hidden === true;
    const line = await answer;
    if (muted) process.stderr.write('\n');
    return line.trim();
  } finally {
    terminal.close();
  }
}

async function confirm(question: string): Promise<boolean> {
  return /^y(es)?$/i.test(await prompt(question));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** The full `berth`: every command, with Berth's API; it ends the process when the output is out. */
export async function main(): Promise<void> {
  const interactive = process.stdin.isTTY && process.stderr.isTTY;
  const code = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(terminalText(text)),
    stderr: (text) => process.stderr.write(terminalText(text)),
    env: process.env,
    createApi: async (env) => (await import('../api/node.js')).createNodeApi(env),
    ...(interactive ? { confirm, prompt } : {}),
    readStdin,
    untilInterrupted,
    ...(process.stdout.isTTY ? { columns: process.stdout.columns } : {}),
    // Only a terminal wide enough shows a QR code (a device sign-in's page, for a phone).
    ...(process.stderr.isTTY && (process.stderr.columns ?? 0) >= 60 ? { qrCode: async (url: string) => (await import('qr')).default(url, 'ascii') } : {}),
  });
  // Exit as soon as the output is out: idle keep-alive sockets would otherwise hold the process for a while.
  process.stdout.write('', () => process.stderr.write('', () => endProcess(code)));
}
