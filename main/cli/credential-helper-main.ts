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
  open: async () => {
    const [{ openStores }, { configDir }, { keychain }] = await Promise.all([
      import('../settings/node-stores.js'),
      import('../settings/paths.js'),
      import('../secrets/keychain.js'),
    ]);
    return { ...openStores(configDir()), secrets: keychain() };
  },
}).catch((error: unknown) => {
  process.stderr.write(`docker-credential-berth: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
