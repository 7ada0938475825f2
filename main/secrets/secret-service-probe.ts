import { BerthError } from '../errors.js';
import { fileStoreHint } from './no-keyring.js';
import { BusUnavailable, connectSessionBus, type BusConnection } from '../dbus/session-bus.js';

/**
 * Asks the session bus whether a Secret Service answers, within `timeoutMs`. keytar's calls cannot be abandoned: one that
 * hangs on a silent bus keeps a worker thread that even process exit waits for. So Berth asks first, over its own socket.
 */
export async function checkSecretService(socketPath: string, timeoutMs: number): Promise<void> {
  let connection: BusConnection | undefined;
  try {
    connection = await connectSessionBus(socketPath, timeoutMs);
    const reply = await connection.call({ destination: 'org.freedesktop.secrets', path: '/org/freedesktop/secrets', iface: 'org.freedesktop.DBus.Peer', member: 'Ping' });
    if (reply.error) {
      throw new BerthError('keychain', `No Secret Service (org.freedesktop.secrets) is running on the session bus: start gnome-keyring, or KeePassXC with its Secret Service on. ${fileStoreHint}`);
    }
  } catch (error) {
    if (!(error instanceof BusUnavailable)) throw error;
    if (error.reason === 'silent') {
      throw new BerthError('keychain-locked', `The OS keychain did not answer within ${Math.round(timeoutMs / 1000)} s (the session bus or its Secret Service is not answering).`);
    }
    throw new BerthError('keychain-locked', `The OS keychain cannot be reached: ${error.message}.`);
  } finally {
    connection?.close();
  }
}
