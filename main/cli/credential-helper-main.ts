import { keychain } from '../secrets/keychain.js';
import { configDir } from '../settings/paths.js';
import { managedRegistries } from '../settings/quick-read.js';
import { runCredentialHelper } from './credential-helper.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

process.exitCode = await runCredentialHelper(process.argv[2], {
  stdin: readStdin,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  registries: () => managedRegistries(configDir()),
  secret: (registry) => keychain().get(registry, 'cli-secret'),
}).catch((error: unknown) => {
  process.stderr.write(`docker-credential-berth: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
