import { AsyncLocalStorage } from 'node:async_hooks';

// The stop signal of the work under way (a keep-alive pass), seen by every request, wait and child process it starts, however deep.
const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `work` so that everything it starts ends early once `signal` aborts (the keep-alive is stopping). */
export function withStopSignal<T>(signal: AbortSignal, work: () => T): T {
  return scope.run(signal, work);
}

/** The stop signal of the work this call is part of, if it has one. */
export function stopSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/** `init.signal` joined with the stop signal of the work under way, so either ends the request. */
export function withStop(signal: AbortSignal | null | undefined): AbortSignal | undefined {
  const stop = stopSignal();
  if (!stop) return signal ?? undefined;
  return signal ? AbortSignal.any([signal, stop]) : stop;
}

/** Runs `work` outside any stop signal: a request whose answer must not be thrown away (a refresh grant rotates the refresh token). */
export function despiteStop<T>(work: () => T): T {
  return scope.exit(work);
}
