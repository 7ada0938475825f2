import type { DesktopShell } from '../../main/api/bridge.js';
import type { DesktopPreferences } from '../../main/api/bridge-contract.js';

/** The app around the window for tests that drive the window without Electron: preferences in memory, quits counted. */
export function desktopShell(trayShown = true): DesktopShell & { quits: number } {
  let preferences: DesktopPreferences = { closeWithoutTray: 'minimize', notifications: true };
  const shell = {
    trayShown,
    quits: 0,
    preferences: () => preferences,
    setPreferences: (change: Partial<DesktopPreferences>) => {
      preferences = { ...preferences, ...change };
    },
    quit: () => {
      shell.quits += 1;
    },
  };
  return shell;
}
