import { answerBridgeCall, type BridgeHandlers } from '../api/bridge.js';
import { bridgeChannel, bridgeMethods, type BridgeReply } from '../api/bridge-contract.js';
import type { Logger } from '../log/logger.js';
import { isRendererUrl } from './window-security.js';

/** The part of an IPC event Berth judges a caller by. */
export interface IpcCaller {
  sender: { id: number };
  senderFrame: { url: string } | null;
}

/** The slice of Electron's `ipcMain` the bridge uses. */
export interface IpcRegistry {
  handle(channel: string, listener: (event: IpcCaller, payload: unknown) => Promise<BridgeReply>): void;
  removeHandler(channel: string): void;
}

/** Is the caller Berth's window showing Berth's own page? `contentsId` is undefined while there is no window. */
export function fromBerthWindow(contentsId: () => number | undefined): (caller: IpcCaller) => boolean {
  return (caller) => {
    const id = contentsId();
    return id !== undefined && caller.sender.id === id && isRendererUrl(caller.senderFrame?.url);
  };
}

/** One handler per use case; a caller that is not Berth's window gets a refusal and a log line, never an answer. */
export function registerBridge(ipc: IpcRegistry, handlers: BridgeHandlers, trusted: (caller: IpcCaller) => boolean, log: Pick<Logger, 'warn'>): () => void {
  for (const method of bridgeMethods) {
    ipc.handle(bridgeChannel(method), async (caller, payload) => {
      if (!trusted(caller)) {
        log.warn('refused an IPC call from outside Berth\'s window', { method, sender: caller.senderFrame?.url ?? 'unknown' });
        return { ok: false, error: 'Berth answers only its own window.' };
      }
      return answerBridgeCall(handlers[method], payload);
    });
  }
  return () => bridgeMethods.forEach((method) => ipc.removeHandler(bridgeChannel(method)));
}
