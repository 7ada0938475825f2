import { homedir } from 'node:os';
import type { Logger } from '../log/logger.js';
import type { CredentialTarget } from '../settings/model.js';
import { berthHelper, dockerConfigPath, helperFor, matchingAuthKeys, registryKey, withAuthEntry, withBerthHelper } from './docker-config.js';
import { helperErase, helperStore } from './helper-protocol.js';
import { readJsonDocument, writeJsonDocument } from './json-file.js';
import { shadowingAuthFiles, updateShadowingFiles, type ShadowUpdate } from './shadow-auth-files.js';

export interface DockerCredential {
  /** Registry host or URL; normalised the way docker does. */
  server: string;
  username: string;
  secret: string;
}

/** Where a credential went: `config` (auths in config.json) or `helper:<name>`. */
export type WrittenTo = 'config' | `helper:${string}`;

export type { CredentialTarget } from '../settings/model.js';

/** The docker credentials target: `config.json` auths, or the credential helper docker is configured to use; plus any podman or helm file that would shadow it. */
export class DockerCredentialsTarget {
  constructor(
    readonly env: NodeJS.ProcessEnv = process.env,
    private readonly log?: Pick<Logger, 'info' | 'warn'>,
  ) {}

  get configPath(): string {
    return dockerConfigPath(this.env);
  }

  private updateShadows(server: string, registry: string, update: ShadowUpdate): void {
    const { updated, problems } = updateShadowingFiles(shadowingAuthFiles(this.env, process.platform, this.env.HOME || homedir()), server, update);
    for (const file of updated) this.log?.info(update === 'erase' ? 'removed from a podman/helm auth file' : 'updated a podman/helm auth file', { registry, file });
    for (const problem of problems) this.log?.warn(`podman or helm may still use an old credential: ${problem}`, { registry });
  }

  async store(credential: DockerCredential, registry: string, target: CredentialTarget = 'config'): Promise<WrittenTo> {
    const document = readJsonDocument(this.configPath);
    const key = registryKey(credential.server);
    if (target === 'helper') {
      // docker asks docker-credential-berth on each use; no copy of the secret stays in config.json.
      writeJsonDocument(document, withAuthEntry(withBerthHelper(document.data, key, true), key, undefined));
      this.updateShadows(key, registry, 'helper');
      return `helper:${berthHelper}`;
    }
    const data = withBerthHelper(document.data, key, false);
    const helper = helperFor(data, key);
    const auth = Buffer.from(`${credential.username}:${credential.secret}`).toString('base64');
    let writtenTo: WrittenTo = 'config';
    if (helper) {
      await helperStore(helper, { ServerURL: key, Username: credential.username, Secret: credential.secret }, registry);
      // docker keeps an empty entry so `docker` commands still list the registry as logged in.
      writeJsonDocument(document, withAuthEntry(data, key, {}));
      writtenTo = `helper:${helper}`;
    } else {
      writeJsonDocument(document, withAuthEntry(data, key, { auth }));
    }
    this.updateShadows(key, registry, { auth });
    return writtenTo;
  }

  async erase(server: string, registry: string): Promise<void> {
    const document = readJsonDocument(this.configPath);
    const key = registryKey(server);
    const helper = helperFor(document.data, key);
    if (helper && helper !== berthHelper) await helperErase(helper, key, registry);
    const data = withBerthHelper(document.data, key, false);
    if (data !== document.data || matchingAuthKeys(document.data, key).length > 0) writeJsonDocument(document, withAuthEntry(data, key, undefined));
    this.updateShadows(key, registry, 'erase');
  }
}
