import type { DesktopShell } from '../../main/api/bridge.js';
import type { DesktopPreferences } from '../../main/api/bridge-contract.js';

/** The app around the window for tests that drive the window without Electron: preferences in memory, quits counted. */
export function desktopShell(trayShown = true): DesktopShell & { quits: number; updateSource: string | null } {
  let preferences: DesktopPreferences = { closeWithoutTray: 'minimize', notifications: true, autoUpdate: false };
  const shell = {
    trayShown,
    quits: 0,
    updateSource: null as string | null,
    updatesOtherwise: () => 'This is a checkout: `git pull` and `npm install` update it.',
    checkForUpdates: async () => 'This is a checkout: `git pull` and `npm install` update it.',
    adoptUpdateSource: (url: string) => {
      shell.updateSource = url;
    },
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
