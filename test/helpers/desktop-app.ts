import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const helpers = new URL('./fake-electron/', import.meta.url);
const appProcess = fileURLToPath(new URL('app-process.js', helpers));
const register = fileURLToPath(new URL('register.js', helpers));
const mainModule = pathToFileURL(fileURLToPath(new URL('../../main/app/main.js', import.meta.url))).href;

export interface AppSnapshot {
  ready: boolean;
  quit: boolean;
  journal: string[];
  windows: { visible: boolean; minimized: boolean; url: string; devTools: unknown; bounds: { x: number; y: number; width: number; height: number } }[];
  /** Each tray's tooltip, its top-level menu labels, and the labels of every checked entry. */
  trays: { tooltip: string; menu: string[]; checked: string[] }[];
  dialogs: { message: string; detail?: string; buttons?: string[] }[];
  applicationMenu: unknown;
  crashReporter: Record<string, unknown> | null;
  notifications: { title: string; body: string }[];
  appUserModelId: string | null;
  loginItems: { openAtLogin: boolean; args: string[] }[];
  /** What went out through Electron's `net.fetch`. */
  netRequests: string[];
}

export type AppCommand =
  | { type: 'snapshot' }
  | { type: 'tray-click' }
  /** The person opens the tray menu: it stays as shown until a click, whatever the app does to the tray meanwhile. */
  | { type: 'tray-menu-open' }
  /** A click on the entry with this label (in the submenu whose label starts with `under`); a disabled one refuses. */
  | { type: 'tray-menu'; label: string; under?: string }
  /** The button to press in message boxes whose message contains the key (else the default button). */
  | { type: 'answer-dialogs'; answers: Record<string, string> }
  /** The person drags the window to these bounds. */
  | { type: 'move-window'; bounds: { x: number; y: number; width: number; height: number } }
  /** The page changes its URL's fragment (`#registry=…`), as it does when it shows another registry. */
  | { type: 'navigate-in-page'; hash: string }
  | { type: 'close-window' }
  /** A call from the page; `from` makes it come from another webContents, or from Berth's window showing another page. */
  | { type: 'invoke'; method: string; payload?: unknown; from?: 'another-webcontents' | 'another-page' }
  | { type: 'quit' }
  | { type: 'resume' }
  | { type: 'permission'; permission: string }
  | { type: 'page-crash' }
  | { type: 'main-throws'; message: string };

/** The built app (dist/main/app/main.js) running on the fake Electron in a child process, with the real core behind it. */
export interface AppUnderTest {
  command(command: AppCommand): Promise<unknown>;
  snapshot(): Promise<AppSnapshot>;
  /** Polls the app until `ready(snapshot)` holds (a state to reach, never a time to wait). */
  until(what: string, ready: (snapshot: AppSnapshot) => boolean, limitMs?: number): Promise<AppSnapshot>;
  /** Resolves when the process ends, with the last snapshot it sent (after `quit`). */
  exited: Promise<{ code: number | null; last: AppSnapshot | undefined }>;
  stop(): Promise<void>;
}

export interface AppOptions {
  env: NodeJS.ProcessEnv;
  userData: string;
  args?: string[];
  packaged?: boolean;
  /** Runs the app's code as on this system (its `process.platform`); the core and the keychain stay this machine's. */
  platform?: NodeJS.Platform;
  notificationsFail?: boolean;
  openExternalFails?: boolean;
  /** An unsigned macOS build: login items are not changed, and nothing says so. */
  loginItemsRefused?: boolean;
  /** The button to press in message boxes whose message contains the key, from the start. */
  dialogAnswers?: Record<string, string>;
  /** The packaged app's resources folder (process.resourcesPath). */
  resources?: string;
  /** The version the update server offers; none: Berth is up to date. */
  updateOffered?: string;
}

export function startApp(options: AppOptions): AppUnderTest {
  const child: ChildProcess = fork(appProcess, options.args ?? [], {
    execArgv: ['--import', register],
    env: {
      ...options.env,
      FAKE_ELECTRON_USER_DATA: options.userData,
      FAKE_ELECTRON_MAIN: mainModule,
      FAKE_ELECTRON_PACKAGED: options.packaged ? '1' : '0',
      FAKE_ELECTRON_NOTIFICATIONS_FAIL: options.notificationsFail ? '1' : '0',
      FAKE_ELECTRON_OPEN_EXTERNAL_FAILS: options.openExternalFails ? '1' : '0',
      FAKE_ELECTRON_LOGIN_ITEMS_REFUSED: options.loginItemsRefused ? '1' : '0',
      FAKE_ELECTRON_DIALOG_ANSWERS: JSON.stringify(options.dialogAnswers ?? {}),
      ...(options.platform ? { FAKE_ELECTRON_PLATFORM: options.platform } : {}),
      ...(options.resources ? { FAKE_ELECTRON_RESOURCES: options.resources } : {}),
      ...(options.updateOffered ? { FAKE_UPDATE_VERSION: options.updateOffered } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let nextId = 1;
  let last: AppSnapshot | undefined;
  const waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  child.on('message', (message: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    if (message.id === 0) {
      last = message.value as AppSnapshot;
      return;
    }
    const pending = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.ok) pending?.resolve(message.value);
    else pending?.reject(new Error(message.error));
  });
  const exited = new Promise<{ code: number | null; last: AppSnapshot | undefined }>((resolve) =>
    child.once('exit', (code) => {
      for (const { reject } of waiting.values()) reject(new Error(`the app ended (exit ${code}): ${output.slice(-2000)}`));
      waiting.clear();
      resolve({ code, last });
    }),
  );
  const command = (command: AppCommand): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null || !child.connected) return reject(new Error(`the app is not running: ${output.slice(-2000)}`));
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      child.send({ id, command });
    });
  const snapshot = () => command({ type: 'snapshot' }) as Promise<AppSnapshot>;
  return {
    command,
    snapshot,
    async until(what, ready, limitMs = 60_000) {
      const started = Date.now();
      for (;;) {
        const found = await snapshot();
        if (ready(found)) return found;
        if (Date.now() - started > limitMs) throw new Error(`the app never reached: ${what}\njournal: ${found.journal.join(' | ')}\noutput: ${output.slice(-2000)}`);
        await sleep(50);
      }
    },
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
