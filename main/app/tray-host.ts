import { connectSessionBus, nameHasOwner, sessionBusSocket, type BusConnection } from '../dbus/session-bus.js';

/** The name a StatusNotifier host (KDE, the AppIndicator extension, waybar, …) takes on the session bus. */
export const statusNotifierWatcher = 'org.kde.StatusNotifierWatcher';

/**
 * Will a tray icon be seen? On Linux only where a StatusNotifier host runs: without one Electron falls back to the old
 * GtkStatusIcon, which GNOME does not show. macOS and Windows always have one.
 */
export async function trayHostPresent(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, timeoutMs = 2_000): Promise<boolean> {
  if (platform !== 'linux') return true;
  const socket = sessionBusSocket(env.DBUS_SESSION_BUS_ADDRESS);
  if (!socket) return false;
  let connection: BusConnection | undefined;
  try {
    connection = await connectSessionBus(socket, timeoutMs);
    return await nameHasOwner(connection, statusNotifierWatcher);
  } catch {
    // A bus that cannot be asked cannot have shown the icon either.
    return false;
  } finally {
    connection?.close();
  }
}
