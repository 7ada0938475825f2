import { homedir } from 'node:os';
import type { Logger } from '../log/logger.js';
import type { CredentialTarget } from '../settings/model.js';
import { berthHelper, dockerConfigPath, helperFor, matchingAuthKeys, registryKey, sameJson, withAuthEntry, withBerthHelper } from './docker-config.js';
import { helperErase, helperGet, helperStore } from './helper-protocol.js';
import { readJsonDocument, resolveLinks, updateJsonDocument } from './json-file.js';
import { differingShadows, shadowingAuthFiles, updateShadowingFiles, type ShadowUpdate } from './shadow-auth-files.js';

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

  /** Every file this target writes or compares: docker's config.json and the podman and helm files that could shadow it; a linked one also where it leads. */
  files(): string[] {
    const files = [this.configPath, ...this.shadowFiles()];
    return [...new Set([...files, ...files.map(resolveLinks)])];
  }

  private shadowFiles(): string[] {
    return shadowingAuthFiles(this.env, process.platform, this.env.HOME || homedir());
  }

  private updateShadows(server: string, registry: string, update: ShadowUpdate): void {
    const { updated, problems } = updateShadowingFiles(this.shadowFiles(), server, update);
    for (const file of updated) this.log?.info(update === 'erase' ? 'removed from a podman/helm auth file' : 'updated a podman/helm auth file', { registry, file });
    for (const problem of problems) this.log?.warn(`podman or helm may still use an old credential: ${problem}`, { registry });
  }

  async store(credential: DockerCredential, registry: string, target: CredentialTarget = 'config'): Promise<WrittenTo> {
    const key = registryKey(credential.server);
    if (target === 'helper') {
      // docker asks docker-credential-berth on each use; no copy of the secret stays in config.json.
      updateJsonDocument(this.configPath, (data) => withAuthEntry(withBerthHelper(data, key, true), key, undefined));
      this.updateShadows(key, registry, 'helper');
      return `helper:${berthHelper}`;
    }
    const helper = helperFor(withBerthHelper(readJsonDocument(this.configPath).data, key, false), key);
    const auth = Buffer.from(`${credential.username}:${credential.secret}`).toString('base64');
    // The helper keeps its own store; config.json is changed only in the one short, locked step below.
    if (helper) await helperStore(helper, { ServerURL: key, Username: credential.username, Secret: credential.secret }, registry);
    // With a helper, docker keeps an empty entry so `docker` commands still list the registry as logged in.
    updateJsonDocument(this.configPath, (data) => withAuthEntry(withBerthHelper(data, key, false), key, helper ? {} : { auth }));
    this.updateShadows(key, registry, { auth });
    return helper ? `helper:${helper}` : 'config';
  }

  /**
   * The places docker (or podman, helm) would take this registry's credential from that do not hold `credential` the way
   * `target` wants it: another writer (`docker login`, an interrupted write) left something else there. Empty when all agree.
   */
  async differences(credential: DockerCredential, registry: string, target: CredentialTarget = 'config'): Promise<string[]> {
    const key = registryKey(credential.server);
    const { data } = readJsonDocument(this.configPath);
    const auth = Buffer.from(`${credential.username}:${credential.secret}`).toString('base64');
    const differing: string[] = [];
    if (target === 'helper') {
      if (!sameJson(data, withAuthEntry(withBerthHelper(data, key, true), key, undefined))) differing.push(this.configPath);
    } else {
      const withoutBerth = withBerthHelper(data, key, false);
      const helper = helperFor(withoutBerth, key);
      if (!sameJson(data, withAuthEntry(withoutBerth, key, helper ? {} : { auth }))) differing.push(this.configPath);
      const held = helper ? await helperGet(helper, key, registry) : undefined;
      if (helper && (held?.Username !== credential.username || held.Secret !== credential.secret)) differing.push(`docker-credential-${helper}`);
    }
    return [...differing, ...differingShadows(this.shadowFiles(), key, target === 'helper' ? 'helper' : { auth })];
  }

  /** Throws the parse error of a config.json docker could not read either, before anything else changes. */
  assertReadable(): void {
    readJsonDocument(this.configPath);
  }

  async erase(server: string, registry: string): Promise<void> {
    const key = registryKey(server);
    const helper = helperFor(readJsonDocument(this.configPath).data, key);
    if (helper && helper !== berthHelper) await helperErase(helper, key, registry);
    updateJsonDocument(this.configPath, (data) => {
      const withoutHelper = withBerthHelper(data, key, false);
      return withoutHelper !== data || matchingAuthKeys(data, key).length > 0 ? withAuthEntry(withoutHelper, key, undefined) : null;
    });
    this.updateShadows(key, registry, 'erase');
  }
}
