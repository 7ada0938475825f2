import { spawn } from 'node:child_process';
import { BerthError } from '../errors.js';
import { printable } from '../log/printable.js';
import { redact } from '../log/redact.js';
import { stopSignal } from '../net/stop-signal.js';

export interface HelperCredential {
  ServerURL: string;
  Username: string;
  Secret: string;
}

/** A helper waiting on a locked keyring or a password prompt fails after this long instead of holding Berth (and docker's credentials) up. */
export const helperDeadlineMs = 10_000;
/** Credentials are a few hundred bytes: more than this is not the protocol's answer. */
const maxOutputBytes = 64 * 1024;

function run(helper: string, action: 'store' | 'erase' | 'get', input: string, registry: string, deadlineMs = helperDeadlineMs): Promise<string> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    // Its own session (no terminal to prompt on, so a prompt fails at once) and process group (so it can be ended with its children).
    const ownGroup = process.platform !== 'win32';
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'], detached: ownGroup });
    let stdout = '';
    let stderr = '';
    let settled = false;
    const end = (error: Error | undefined, output = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop?.removeEventListener('abort', stopped);
      if (error) reject(error);
      else resolve(output);
    };
    const kill = () => {
      try {
        if (ownGroup && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Ended already.
      }
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const timer = setTimeout(() => {
      kill();
      end(
        new BerthError(
          'helper',
          `The docker credential helper ${program} did not ${action} the ${registry} credentials within ${deadlineMs / 1000} s (is it waiting for a locked keyring or a password prompt?); Berth stopped it. ` +
            `Unlock the store it uses and try again, or change "credsStore"/"credHelpers" in docker's config.json.`,
          { registry },
        ),
      );
    }, deadlineMs);
    timer.unref();
    // A keep-alive that is stopping does not wait for the helper either.
    const stop = stopSignal();
    const stopped = () => {
      kill();
      end(stop?.reason instanceof Error ? stop.reason : new BerthError('cancelled', `Stopped while ${program} was busy.`, { registry }));
    };
    if (stop?.aborted) stopped();
    stop?.addEventListener('abort', stopped, { once: true });
    const capped = (add: (chunk: string) => void) => (chunk: string) => {
      add(chunk);
      if (stdout.length + stderr.length > maxOutputBytes) {
        kill();
        end(new BerthError('helper', `The docker credential helper ${program} wrote more than ${maxOutputBytes / 1024} KB when asked to ${action} the ${registry} credentials; Berth stopped it.`, { registry }));
      }
    };
    child.stdout.setEncoding('utf8').on('data', capped((chunk) => (stdout += chunk)));
    child.stderr.setEncoding('utf8').on('data', capped((chunk) => (stderr += chunk)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? `${program} is not on PATH` : error.message;
      end(new BerthError('helper', `Cannot ${action} the ${registry} credentials with the docker credential helper "${helper}": ${why}. Install it or change "credsStore"/"credHelpers" in docker's config.json.`, { registry, cause: error }));
    });
    child.on('close', (code) => {
      if (code === 0) return end(undefined, stdout);
      const said = printable(redact((stdout.trim() || stderr.trim()).slice(0, 300)), 300);
      end(Object.assign(new BerthError('helper', `The docker credential helper ${program} could not ${action} the ${registry} credentials: ${said || `exit status ${code}`}.`, { registry }), { helperOutput: said }));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** docker's credential-helper protocol: `store` reads the credential as JSON on stdin. */
export async function helperStore(helper: string, credential: HelperCredential, registry: string): Promise<void> {
  await run(helper, 'store', JSON.stringify(credential), registry);
}

/** `erase` reads the server URL on stdin; a helper that has no such entry is not an error. */
export async function helperErase(helper: string, serverUrl: string, registry: string): Promise<void> {
  try {
    await run(helper, 'erase', serverUrl, registry);
  } catch (error) {
    const said = (error as { helperOutput?: string }).helperOutput ?? '';
    if (/not found/i.test(said)) return;
    throw error;
  }
}

/** `get` reads the server URL on stdin; `undefined` when the helper has no entry for it. */
export async function helperGet(helper: string, serverUrl: string, registry: string): Promise<HelperCredential | undefined> {
  let output: string;
  try {
    output = await run(helper, 'get', serverUrl, registry);
  } catch (error) {
    const said = (error as { helperOutput?: string }).helperOutput ?? '';
    if (/not found/i.test(said)) return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(output) as Partial<HelperCredential>;
    if (typeof parsed.Username === 'string' && typeof parsed.Secret === 'string') return { ServerURL: parsed.ServerURL ?? serverUrl, Username: parsed.Username, Secret: parsed.Secret };
  } catch {
    // Handled below: an answer that is not the protocol's JSON.
  }
  throw new BerthError('helper', `The docker credential helper docker-credential-${helper} answered "get" for ${registry} with something other than credentials.`, { registry });
}
