import { hostOf, registryKey } from '../credentials/docker-config.js';
import type { ManagedRegistry } from '../settings/quick-read.js';
import { berthVersion } from './version.js';

export interface HelperIo {
  stdin: () => Promise<string>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  registries: () => ManagedRegistry[];
  /** The registry's CLI secret from the keychain. */
  secret: (registry: string) => Promise<string | null>;
}

// docker matches this exact text to tell "no credentials" from a failure.
const notFound = 'credentials not found in native keychain';

/** docker's credential-helper protocol over the registries Berth manages; no network on any path. */
export async function runCredentialHelper(action: string | undefined, io: HelperIo): Promise<number> {
  switch (action) {
    case 'version':
      io.stdout(`docker-credential-berth ${berthVersion()}\n`);
      return 0;
    case 'get': {
      const key = registryKey((await io.stdin()).trim());
      const registry = io.registries().find((candidate) => registryKey(hostOf(candidate.url)) === key);
      const username = registry?.username;
      const secret = registry && username ? await io.secret(registry.name) : null;
      if (!registry || !username || !secret) {
        io.stdout(`${notFound}\n`);
        return 1;
      }
      io.stdout(JSON.stringify({ ServerURL: key, Username: username, Secret: secret }));
      return 0;
    }
    case 'list': {
      const listed: Record<string, string> = {};
      for (const registry of io.registries()) if (registry.username) listed[registryKey(hostOf(registry.url))] = registry.username;
      io.stdout(JSON.stringify(listed));
      return 0;
    }
    case 'store':
    case 'erase':
      io.stderr(`docker-credential-berth: "${action}" is not supported yet; Berth writes credentials itself after \`berth login\`.\n`);
      return 1;
    default:
      io.stderr('Usage: docker-credential-berth <get|list|store|erase|version>\n');
      return 64;
  }
}
