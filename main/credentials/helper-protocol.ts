import { spawn } from 'node:child_process';
import { BerthError } from '../errors.js';
import { redact } from '../log/redact.js';

export interface HelperCredential {
  ServerURL: string;
  Username: string;
  Secret: string;
}

function run(helper: string, action: 'store' | 'erase' | 'get', input: string, registry: string): Promise<string> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? `${program} is not on PATH` : error.message;
      reject(new BerthError('helper', `Cannot ${action} the ${registry} credentials with the docker credential helper "${helper}": ${why}. Install it or change "credsStore"/"credHelpers" in docker's config.json.`, { registry, cause: error }));
    });
    child.on('close', (code) => {
      if (code === 0) return resolve(stdout);
      const said = redact((stdout.trim() || stderr.trim()).slice(0, 300));
      reject(Object.assign(new BerthError('helper', `The docker credential helper ${program} could not ${action} the ${registry} credentials: ${said || `exit status ${code}`}.`, { registry }), { helperOutput: said }));
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
