import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BerthError, errorMessage } from '../errors.js';
import type { DockerCredentialsTarget } from '../credentials/docker-target.js';
import { hostOf } from '../credentials/docker-config.js';
import type { Logger } from '../log/logger.js';
import { requireSecureUrl } from '../net/http.js';
import type { BrowserOpener } from '../oidc/provider.js';
import { idleDeadlineFrom, revokeHarborSession, signInToHarbor } from '../providers/harbor-oidc.js';
import { secretKinds, type SecretStore } from '../secrets/keychain.js';
import { defaultIdleDays, defaultScopes, type RegistrySettings } from '../settings/model.js';
import type { SettingsStore, StatusStore } from '../settings/stores.js';
import type { AddHarborInput, RegistryView, SignOutResult } from './contract.js';

export type { AddHarborInput, RegistryView, SignOutResult } from './contract.js';

export interface ApiDependencies {
  settings: SettingsStore;
  status: StatusStore;
  secrets: SecretStore;
  docker: DockerCredentialsTarget;
  log: Logger;
  now?: () => Date;
}

export interface SignInOptions {
  openBrowser: BrowserOpener;
  timeoutMs?: number;
  onCallback?: () => void;
}

const defaultSignInTimeoutMs = 5 * 60 * 1000;
const registryNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const dayMs = 24 * 60 * 60 * 1000;

/** Input a person typed is checked like command-line usage: a bad value is their mistake to fix, not a failure. */
function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof BerthError && error.code === 'invalid-setting') throw new BerthError('usage', error.message);
    throw error;
  }
}

function registryHost(registry: RegistrySettings): string {
  return hostOf(registry.url);
}

/** The use cases of Berth as one surface; the CLI, the tests and (later) the IPC layer all call this. */
export function createApi(deps: ApiDependencies) {
  const now = deps.now ?? (() => new Date());

  function view(registry: RegistrySettings, warnMs = deps.settings.preferences().warnDays * dayMs): RegistryView {
    const record = deps.status.get(registry.name);
    let state = record.state;
    if (state === 'valid' && record.idleDeadline && Date.parse(record.idleDeadline) - now().getTime() < warnMs) state = 'expiring';
    return {
      name: registry.name,
      kind: registry.kind,
      registry: registryHost(registry),
      url: registry.url,
      username: record.username ?? null,
      state,
      idleDeadline: record.idleDeadline ?? null,
      lastKeptAliveAt: record.lastKeptAliveAt ?? null,
      nextKeepAliveAt: record.nextKeepAliveAt ?? null,
      sessionExpiresAt: record.sessionExpiresAt ?? null,
      lastError: record.lastError ?? null,
      actionUrl: record.actionUrl ?? null,
    };
  }

  function views(registries: RegistrySettings[]): RegistryView[] {
    const warnMs = deps.settings.preferences().warnDays * dayMs;
    return registries.map((registry) => view(registry, warnMs));
  }

  /** An authoritative answer changes the state; anything else only records what went wrong (offline is not expired). */
  function recordFailure(registry: RegistrySettings, error: unknown): void {
    const previous = deps.status.get(registry.name);
    const code = error instanceof BerthError ? error.code : undefined;
    let state = previous.state;
    if (code === 'needs-web-login' || code === 'secret-rejected') state = 'needs-web-login';
    else if (code === 'unreachable' && previous.state !== 'signed-out') state = 'offline';
    else if (code === 'tls' && previous.state !== 'signed-out') state = 'error';
    const actionUrl = error instanceof BerthError ? error.actionUrl : undefined;
    deps.status.put(registry.name, { ...previous, state, lastError: errorMessage(error), actionUrl });
  }

  return {
    addRegistry(input: AddHarborInput): RegistryView {
      if (!registryNamePattern.test(input.name)) {
        throw new BerthError('usage', `"${input.name}" is not a valid registry name: use lower-case letters, digits, ".", "_" and "-" (up to 63).`);
      }
      const url = asUsage(() => requireSecureUrl(input.url, `The Harbor URL of ${input.name}`));
      if (url.pathname !== '/' || url.search || url.hash) {
        throw new BerthError('usage', `The Harbor URL of ${input.name} must be just the server (like https://harbor.example.org), not ${input.url}.`);
      }
      asUsage(() => requireSecureUrl(input.issuer, `The issuer of ${input.name}`));
      const idleDays = input.idleDays ?? defaultIdleDays;
      if (!(idleDays > 0)) throw new BerthError('usage', `--idle-days for ${input.name} must be a positive number of days.`);
      const caFile = input.caFile ? resolve(input.caFile) : undefined;
      if (caFile && !existsSync(caFile)) throw new BerthError('usage', `The CA file ${caFile} for ${input.name} does not exist.`);
      const scopes = (input.scopes ?? defaultScopes).trim().split(/\s+/);
      if (!scopes.includes('openid')) throw new BerthError('usage', `The scopes of ${input.name} must include "openid" (Harbor needs the ID token).`);
      const registry: RegistrySettings = {
        name: input.name,
        kind: 'harbor',
        url: url.origin,
        issuer: input.issuer.replace(/\/$/, ''),
        clientId: input.clientId,
        scopes: scopes.join(' '),
        authParams: input.authParams ?? {},
        idleDays,
        ...(caFile ? { caFile } : {}),
      };
      deps.settings.add(registry);
      deps.log.info('registry added', { registry: registry.name, kind: registry.kind, host: registryHost(registry) });
      return view(registry);
    },

    listRegistries(): RegistryView[] {
      return views(deps.settings.registries());
    },

    status(name?: string): RegistryView[] {
      return views(name === undefined ? deps.settings.registries() : [deps.settings.get(name)]);
    },

    async signIn(name: string, options: SignInOptions): Promise<RegistryView> {
      const registry = deps.settings.get(name);
      const started = now();
      deps.log.info('sign-in started', { registry: name });
      try {
        return await signInToHarbor(registry, {
          openBrowser: options.openBrowser,
          timeoutMs: options.timeoutMs ?? defaultSignInTimeoutMs,
          ...(options.onCallback ? { onCallback: options.onCallback } : {}),
          complete: async (session) => {
            // The refresh token first: if anything after this fails, Berth can still recover without a new browser login.
            if (session.tokens.refreshToken) await deps.secrets.set(name, 'refresh-token', session.tokens.refreshToken);
            else deps.log.warn('the identity provider issued no refresh token (offline_access not granted)', { registry: name });
            await deps.secrets.set(name, 'cli-secret', session.user.cliSecret);
            const writtenTo = await deps.docker.store({ server: session.host, username: session.user.username, secret: session.user.cliSecret }, name);
            const at = now();
            deps.status.put(name, {
              state: 'valid',
              username: session.user.username,
              userId: session.user.userId,
              writtenTo,
              signedInAt: at.toISOString(),
              lastKeptAliveAt: at.toISOString(),
              idleDeadline: idleDeadlineFrom(registry, at).toISOString(),
              ...(session.tokens.sessionExpiresAt ? { sessionExpiresAt: session.tokens.sessionExpiresAt.toISOString() } : {}),
            });
            deps.log.info('signed in', { registry: name, user: session.user.username, writtenTo, ms: at.getTime() - started.getTime() });
            return { value: view(registry), message: `Signed in to ${name} as ${session.user.username}; docker credentials for ${session.host} are in place.` };
          },
        });
      } catch (error) {
        deps.log.warn('sign-in failed', { registry: name, reason: errorMessage(error) });
        recordFailure(registry, error);
        throw error;
      }
    },

    signOut,

    async removeRegistry(name: string): Promise<SignOutResult> {
      const result = await signOut(name);
      deps.settings.remove(name);
      deps.status.remove(name);
      deps.log.info('registry removed', { registry: name });
      return result;
    },
  };

  async function signOut(name: string): Promise<SignOutResult> {
    const registry = deps.settings.get(name);
    const warnings: string[] = [];
    // The docker entry goes first: if config.json cannot be parsed, nothing else has changed yet.
    await deps.docker.erase(registryHost(registry), name);
    let revoked = false;
    const refreshToken = await deps.secrets.get(name, 'refresh-token');
    if (refreshToken) {
      try {
        revoked = await revokeHarborSession(registry, refreshToken);
      } catch (error) {
        warnings.push(`Could not revoke Berth's session at the identity provider: ${errorMessage(error)}`);
      }
    }
    for (const kind of secretKinds) await deps.secrets.delete(name, kind);
    deps.status.put(name, { state: 'signed-out' });
    deps.log.info('signed out', { registry: name, revoked });
    for (const warning of warnings) deps.log.warn(warning, { registry: name });
    return { revoked, warnings };
  }
}

export type BerthApi = ReturnType<typeof createApi>;
