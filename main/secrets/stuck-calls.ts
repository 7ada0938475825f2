// Its own module, so ending the process does not load the keychain code just to ask.
let stuck = 0;

/** A keychain call was given up on while still running: a worker thread is left behind that process exit would wait for. */
export function keychainCallGivenUp(): void {
  stuck += 1;
}

/** Whether a keychain call was given up on while still running: the process must then end without waiting for it. */
export function keychainCallStuck(): boolean {
  return stuck > 0;
}
