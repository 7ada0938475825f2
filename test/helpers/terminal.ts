import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

function tmux(socket: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tmux', ['-L', socket, ...args], { env, timeout: 10_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

/** A program on a real terminal (a tmux pane on a private server), typed at like a person would. */
export interface Terminal {
  /** Waits until the screen matches, and returns the screen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Types a line and presses Enter. */
  typeLine(text: string): Promise<void>;
  screen(): Promise<string>;
  stop(): Promise<void>;
}

/** Runs `command` in a new tmux session with `env` (200 columns unless told); the pane stays after the program ends and shows `[exit N]`. */
export async function onTerminal(command: string[], env: NodeJS.ProcessEnv, size: { columns?: number } = {}): Promise<Terminal> {
  const socket = `berth-test-${randomBytes(4).toString('hex')}`;
  const session = 'berth';
  await tmux(socket, ['new-session', '-d', '-x', String(size.columns ?? 200), '-y', '50', '-s', session, 'sh', '-c', '"$@"; echo "[exit $?]"; sleep 600', 'sh', ...command], env);
  const screen = () => tmux(socket, ['capture-pane', '-p', '-J', '-S', '-200', '-t', session], env);
  return {
    screen,
    async waitFor(pattern, timeoutMs = 30_000) {
      const started = Date.now();
      for (;;) {
        const shown = await screen();
        if (pattern.test(shown)) return shown;
        if (Date.now() - started > timeoutMs) throw new Error(`the terminal never showed ${pattern}; it shows:\n${shown}`);
        await sleep(100);
      }
    },
    async typeLine(text) {
      // `--`: a text starting with "-" (a base64url secret, one in 64) is typed, not read as tmux's flags.
      await tmux(socket, ['send-keys', '-t', session, '-l', '--', text], env);
      await tmux(socket, ['send-keys', '-t', session, 'Enter'], env);
    },
    stop: () => tmux(socket, ['kill-server'], env).then(() => undefined, () => undefined),
  };
}
