/** Time as the scheduler sees it; tests pass a clock they move by hand. */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(timer: unknown): void;
}

// setTimeout overflows beyond this (about 24.8 days); a longer wait is taken in steps.
export const maxTimerDelayMs = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, Math.min(delayMs, maxTimerDelayMs)),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};
