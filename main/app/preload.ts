import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { bridgeClient } from '../api/bridge-client.js';
import { bridgeEventChannel, type BridgeEvent, type BridgeReply } from '../api/bridge-contract.js';

// Bundled into one CommonJS file (a sandboxed preload cannot load modules); the page sees only `window.berth`.
contextBridge.exposeInMainWorld(
  'berth',
  bridgeClient(
    (channel, payload) => ipcRenderer.invoke(channel, payload) as Promise<BridgeReply>,
    (listener) => {
      const forward = (_event: IpcRendererEvent, event: BridgeEvent) => listener(event);
      ipcRenderer.on(bridgeEventChannel, forward);
      return () => ipcRenderer.removeListener(bridgeEventChannel, forward);
    },
  ),
);
