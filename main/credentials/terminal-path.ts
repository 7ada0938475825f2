import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { delimiter, isAbsolute } from 'node:path';

// Around the PATH in the shell's output, which may also hold whatever its profile prints (a banner, a fortune).
const mark = '__BERTH_TERMINAL_PATH__';
const maxOutputChars = 256 * 1024;

/**
 * The PATH a terminal of this user has: what the user's login shell sets up in its profile and rc files. An app started
 * from the Dock, Finder or a desktop launcher inherits a bare PATH instead (macOS: /usr/bin:/bin:/usr/sbin:/sbin), so
 * docker's credential helpers (Docker Desktop's, Homebrew's, `npm link`'s docker-credential-berth) are found as docker in
 * a terminal finds them only with this one. Undefined on Windows (apps and terminals share PATH there), or when the
 * shell does not answer within `timeoutMs`; a shell still running then is ended with everything it started.
 */
export function terminalPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, timeoutMs = 5_000): Promise<string | undefined> {
  if (platform === 'win32') return Promise.resolve(undefined);
  const shell = env.SHELL || loginShellOf() || '/bin/sh';
  return new Promise((resolve) => {
    // Interactive and login, as a terminal starts it; its own process group, so a hung profile ends with its children.
    // BERTH_RESOLVING_ENVIRONMENT lets a profile skip what only a person at a terminal needs (ssh-add, a gpg prompt).
    const child = spawn(shell, ['-i', '-l', '-c', `printf '\\n${mark}%s${mark}\\n' "$PATH"`], {
      env: { ...env, BERTH_RESOLVING_ENVIRONMENT: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    let output = '';
    let done = false;
    const finish = (path: string | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout.destroy();
      child.unref();
      resolve(path);
    };
    const giveUp = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Ended already, with everything it started.
      }
      finish(undefined);
    };
    const timer = setTimeout(giveUp, timeoutMs);
    child.on('error', () => finish(undefined));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const found = new RegExp(`${mark}([^\\n]*)${mark}`).exec(output);
      // Answered: what the profile started in the background is none of Berth's business.
      if (found) finish(absoluteFolders(found[1] ?? ''));
      else if (output.length > maxOutputChars) giveUp();
    });
    child.on('close', () => finish(undefined));
  });
}

/** Only absolute folders: `.` or a literal `~/bin` would be looked up from wherever the app runs; none at all is no PATH (a shell whose "$PATH" is no list of folders). */
function absoluteFolders(path: string): string | undefined {
  const folders = path.split(delimiter).filter((folder) => isAbsolute(folder));
  return folders.length > 0 ? folders.join(delimiter) : undefined;
}

function loginShellOf(): string | undefined {
  try {
    return userInfo().shell ?? undefined;
  } catch {
    return undefined;
  }
}

/** The terminal's PATH first, then what only the app's own PATH has; each folder once. */
export function mergedPath(terminal: string, own: string | undefined): string {
  return [...new Set([...terminal.split(delimiter), ...(own ?? '').split(delimiter)].filter(Boolean))].join(delimiter);
}
