import { keychainCallStuck } from '../secrets/stuck-calls.js';

/**
 * Ends the process with `code`. After a keychain call Berth gave up on, exit would wait forever for the thread still
 * inside it (libuv joins its workers at exit), so the process is ended by a signal instead: the output is already out.
 */
export function endProcess(code: number): never {
  if (keychainCallStuck()) process.kill(process.pid, 'SIGKILL');
  return process.exit(code);
}
