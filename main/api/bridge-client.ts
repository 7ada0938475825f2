import { bridgeChannel, bridgeMethods, type BerthBridge, type BridgeEvent, type BridgeReply } from './bridge-contract.js';

export type BridgeInvoke = (channel: string, payload: unknown) => Promise<BridgeReply>;
export type BridgeSubscribe = (listener: (event: BridgeEvent) => void) => () => void;

/** `window.berth` over any transport: Electron's IPC in the preload, a test's page binding in Chromium. */
export function bridgeClient(invoke: BridgeInvoke, subscribe: BridgeSubscribe): BerthBridge {
  const methods = Object.fromEntries(
    bridgeMethods.map((method) => [
      method,
      async (payload?: unknown) => {
        const reply = await invoke(bridgeChannel(method), payload);
        if (reply.ok) return reply.value;
        throw new Error(reply.error);
      },
    ]),
  );
  return { ...methods, onEvent: subscribe } as unknown as BerthBridge;
}
