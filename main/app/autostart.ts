import { existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { writeTextFileAtomically } from '../credentials/json-file.js';

/** The installed app's icon and desktop entry name (electron-builder names both after `linux.executableName`). */
export const appIconName = 'berth-app';

/** Passed when the app starts at login, so it starts in the tray without opening its window. */
export const hiddenFlag = '--hidden';

export interface StartAtLogin {
  get(): boolean;
  set(on: boolean): void;
}

/** The folder desktops read autostart entries from (XDG Autostart), honouring `$XDG_CONFIG_HOME`. */
export function autostartFile(env: NodeJS.ProcessEnv, home = homedir()): string {
  const configHome = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(configHome, 'autostart', 'berth.desktop');
}

/** Quotes one argument of an `Exec` key as the Desktop Entry specification asks. */
function execArgument(value: string): string {
  if (!/[\s"'\\`$<>|&;()*?#~]/.test(value) && value !== '') return value;
  return `"${value.replace(/(["`$\\])/g, '\\$1')}"`;
}

/** The `.desktop` entry that starts Berth, hidden in the tray, when the user logs in. */
export function autostartEntry(command: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Berth',
    'Comment=Keeps your container registry logins alive',
    `Exec=${command.map(execArgument).join(' ')}`,
    // The icon and the .desktop file the packages install are named after the app binary, berth-app.
    `Icon=${appIconName}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Linux has no login items in Electron: an XDG autostart entry does the job on every desktop that follows the spec. */
export function xdgStartAtLogin(file: string, command: string[]): StartAtLogin {
  return {
    get() {
      try {
        return existsSync(file) && !/^Hidden\s*=\s*true\s*$/m.test(readFileSync(file, 'utf8'));
      } catch {
        return false;
      }
    },
    set(on) {
      if (on) writeTextFileAtomically(file, autostartEntry(command), 0o644);
      else rmSync(file, { force: true });
    },
  };
}

/** The command that starts this installation: an AppImage moves on every run, so its own path is used. */
export function launchCommand(env: NodeJS.ProcessEnv, execPath: string, appPath: string | null): string[] {
  if (env.APPIMAGE) return [env.APPIMAGE, hiddenFlag];
  // Unpackaged (`npm start`), Electron needs the app folder after its own binary.
  return appPath === null ? [execPath, hiddenFlag] : [execPath, appPath, hiddenFlag];
}

/** The slice of Electron's `app` that login items need (macOS and Windows). */
export interface LoginItemApp {
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

/**
 * macOS and Windows login items. Windows finds the entry only when asked with the same arguments it was made with. A
 * change can silently not take (macOS ignores an unsigned app's): it is read back, and `notTaken` hears of one that did not.
 */
export function electronStartAtLogin(app: LoginItemApp, notTaken: (wanted: boolean) => void): StartAtLogin {
  const get = () => app.getLoginItemSettings({ args: [hiddenFlag] }).openAtLogin;
  return {
    get,
    set: (on) => {
      app.setLoginItemSettings({ openAtLogin: on, args: [hiddenFlag] });
      if (get() !== on) notTaken(on);
    },
  };
}
