import type { RegistryView } from '../../main/api/contract.js';
import { abilities } from '../../main/providers/method.js';
import type { RegistryState } from '../../main/settings/model.js';

/** A Harbor registry as the tray and notifications see it, at `<name>.example.org`, signed in as alice unless signed out. */
export function harborView(name: string, state: RegistryState, extra: Partial<RegistryView> = {}): RegistryView {
  return {
    name,
    kind: 'harbor',
    registry: `${name}.example.org`,
    url: `https://${name}.example.org`,
    method: 'web',
    can: abilities.web,
    target: 'config',
    username: state === 'signed-out' ? null : 'alice',
    state,
    idleDeadline: null,
    lastKeptAliveAt: null,
    nextKeepAliveAt: null,
    keepAliveHours: 24,
    sessionExpiresAt: null,
    sessionFixed: false,
    secretAccepted: state === 'valid' || state === 'expiring' ? true : null,
    notice: null,
    lastError: null,
    actionUrl: null,
    expiresAt: null,
    expirySource: null,
    accessTokenExpiresAt: null,
    note: null,
    pointer: null,
    ...extra,
  };
}
