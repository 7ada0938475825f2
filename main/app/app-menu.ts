import type { MenuItemConstructorOptions } from 'electron';

/**
 * The application menu of a packaged build: none on Windows and Linux (the window has its own buttons), and on macOS the
 * app, Edit and Window menus so that ⌘Q, copy and paste work. No View menu: no Reload, no DevTools for users.
 * `undefined` keeps Electron's default menu, with DevTools, for `npm start`.
 */
export function applicationMenu(platform: NodeJS.Platform, packaged: boolean): MenuItemConstructorOptions[] | null | undefined {
  if (!packaged) return undefined;
  if (platform !== 'darwin') return null;
  return [{ role: 'appMenu' }, { role: 'editMenu' }, { role: 'windowMenu' }];
}
