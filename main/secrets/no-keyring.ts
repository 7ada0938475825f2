import { sessionBusSocket } from '../dbus/session-bus.js';
/** Said wherever the keychain cannot be used at all: the explicit alternative for machines without one. */
export const fileStoreHint =
  "Where no keyring can run (a server, WSL, an SSH session), keep Berth's secrets in a file only you can read instead: `berth config secret-store file` (or BERTH_SECRET_STORE=file).";

/** On Linux, the session bus the Secret Service would be on; none means no keyring can answer. */
export function noSessionBus(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' && sessionBusSocket(env.DBUS_SESSION_BUS_ADDRESS) === undefined;
}
