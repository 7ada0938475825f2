import { BerthError } from '../errors.js';
import type { BrowserOpener } from '../oidc/provider.js';
import { shellWords } from './shell-words.js';

// xdg-open and friends hand the URL on and exit; one that fails says so within this time. One still running has started a browser.
const openerVerdictMs = 3_000;

async function launch(program: string, args: string[], what: string, options: { awaitExit?: boolean } = {}): Promise<void> {
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
      if (!options.awaitExit) return resolve();
      const verdict = setTimeout(resolve, openerVerdictMs);
      verdict.unref();
      child.once('exit', (code) => {
        clearTimeout(verdict);
        if (code === 0) resolve();
        else reject(new BerthError('browser', `${what} could not open a browser (${program} exited with ${code ?? 'a signal'}).`));
      });
    });
  });
}

/** `--browser-command`: split like a shell does, with the authorization URL appended as the last argument. */
export function commandOpener(commandLine: string): BrowserOpener {
  const [program, ...args] = shellWords(commandLine);
  if (!program) throw new BerthError('usage', '--browser-command is empty.');
  return (url) => launch(program, [...args, url], `the browser command "${program}"`);
}

/**
 * Why no browser can open on this machine for the person at the keyboard, or nothing when one may: an SSH session (its
 * browser would open on the server), or, outside macOS and Windows, no display and no BROWSER.
 */
export function whyNoBrowser(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | undefined {
  const ssh = ['SSH_CONNECTION', 'SSH_TTY'].find((name) => env[name]);
  if (ssh) return `This is an SSH session (${ssh} is set), so a browser would open on this machine, not yours`;
  if (platform === 'darwin' || platform === 'win32') return undefined;
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY && !env.BROWSER) return 'No browser can open here (no DISPLAY, WAYLAND_DISPLAY or BROWSER is set)';
  return undefined;
}

/** The system browser; the URL is also printed so it can be copied when no browser opens. Fails when the opener does. */
export function systemBrowserOpener(print: (line: string) => void): BrowserOpener {
  return async (url) => {
    print(`Opening the browser to sign in. If it does not open, visit:\n  ${url}`);
    const [program, args] =
      process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
    await launch(program, args as string[], 'the system browser', { awaitExit: true });
  };
}
