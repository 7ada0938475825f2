import type { DesktopShell } from '../../main/api/bridge.js';
import type { DesktopPreferences } from '../../main/api/bridge-contract.js';

/**
 * The app around the window for tests that drive the window without Electron: preferences in memory, quits counted,
 * update servers offered to the person recorded and answered with `agreeToUpdateServer`.
 */
export function desktopShell(trayShown = true): DesktopShell & { quits: number; offered: { url: string; registry: string }[]; agreeToUpdateServer: boolean; updateSource: string | null } {
  let preferences: DesktopPreferences = { closeWithoutTray: 'minimize', notifications: true, autoUpdate: false };
  const shell = {
    trayShown,
    quits: 0,
    offered: [] as { url: string; registry: string }[],
    agreeToUpdateServer: false,
    updateSource: null as string | null,
    updatesOtherwise: () => 'This is a checkout: `git pull` and `npm install` update it.',
    checkForUpdates: async () => 'This is a checkout: `git pull` and `npm install` update it.',
    offerUpdateServer: async (url: string, registry: string) => {
      shell.offered.push({ url, registry });
      if (shell.agreeToUpdateServer) shell.updateSource = url;
      return shell.agreeToUpdateServer;
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
