import type { BerthBridge } from '../../main/api/bridge-contract.js';

declare global {
  interface Window {
    /** Put there by the preload: the only way this page reaches Berth. */
    berth: BerthBridge;
  }
}

export function berth(): BerthBridge {
  return window.berth;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
