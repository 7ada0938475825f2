import { BerthError } from '../errors.js';
import type { BrowserOpener } from '../oidc/provider.js';
import { shellWords } from './shell-words.js';

async function launch(program: string, args: string[], what: string): Promise<void> {
  // Loaded only when a browser is opened: child_process pulls in much of Node's networking and streams.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    // The browser's own output goes to stderr so it can never corrupt JSON on stdout.
    const child = spawn(program, args, { stdio: ['ignore', process.stderr, process.stderr], detached: process.platform !== 'win32' });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new BerthError('browser', `Could not start ${what} (${error.code === 'ENOENT' ? `${program} not found` : error.message}).`, { cause: error })),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/** `--browser-command`: split like a shell does, with the authorization URL appended as the last argument. */
export function commandOpener(commandLine: string): BrowserOpener {
  const [program, ...args] = shellWords(commandLine);
  if (!program) throw new BerthError('usage', '--browser-command is empty.');
  return (url) => launch(program, [...args, url], `the browser command "${program}"`);
}

/** The system browser; the URL is also printed so it can be copied when no browser opens (SSH, WSL). */
export function systemBrowserOpener(print: (line: string) => void): BrowserOpener {
  return async (url) => {
    print(`Opening the browser to sign in. If it does not open, visit:\n  ${url}`);
    const [program, args] =
      process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
    try {
      await launch(program, args as string[], 'the system browser');
    } catch (error) {
      print(`${(error as Error).message} Open the URL above yourself.`);
    }
  };
}
