import { useState, type FormEvent } from 'react';
import type { HarborProbe, RegistryProfile } from '../../main/api/bridge-contract.js';
import { berth, messageOf } from './berth.js';
import { Dialog } from './Dialog.js';

interface AddRegistryDialogProps {
  onClose: () => void;
  /** Called once the registry is added; the caller signs in. */
  onAdded: (name: string) => void;
}

const authModes: Record<string, string> = {
  oidc_auth: 'OIDC single sign-on',
  db_auth: 'local Harbor accounts',
  ldap_auth: 'LDAP',
  uaa_auth: 'UAA',
  http_auth: 'an HTTP authentication proxy',
};

/** Add a Harbor: its URL first (Berth looks at what it is), then the identity provider, then sign-in. */
export function AddRegistryDialog({ onClose, onAdded }: AddRegistryDialogProps) {
  const [url, setUrl] = useState('');
  const [probe, setProbe] = useState<HarborProbe | null>(null);
  const [name, setName] = useState('');
  const [issuer, setIssuer] = useState('');
  const [clientId, setClientId] = useState('');
  const [profile, setProfile] = useState<RegistryProfile | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function lookUp(event: FormEvent) {
    event.preventDefault();
    setBusy('Looking at the Harbor…');
    setError(null);
    try {
      const found = await berth().probeHarbor(url);
      setProbe(found);
      setName((current) => current || found.suggestedName);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(null);
    }
  }

  async function importProfile(file: File | undefined) {
    if (!file) return;
    setError(null);
    try {
      const read = await berth().readProfile(await file.text());
      setProfile(read);
      setIssuer(read.issuer);
      setClientId(read.clientId);
      if (read.name) setName(read.name);
      if (read.url && !probe) setUrl(read.url);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  async function add(event: FormEvent) {
    event.preventDefault();
    if (!probe) return;
    setBusy('Adding…');
    setError(null);
    try {
      const added = await berth().addRegistry({
        name,
        url: probe.url,
        issuer,
        clientId,
        ...(profile?.scopes ? { scopes: profile.scopes } : {}),
        ...(profile?.authParams ? { authParams: profile.authParams } : {}),
        ...(profile?.idleDays ? { idleDays: profile.idleDays } : {}),
      });
      onAdded(added.name);
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(null);
    }
  }

  return (
    <Dialog title="Add a Harbor registry" onClose={onClose}>
      <form onSubmit={lookUp} className="stack">
        <label>
          Harbor URL
          <input type="url" required placeholder="https://harbor.example.org" value={url} onChange={(event) => setUrl(event.target.value)} autoFocus />
        </label>
        <div className="row">
          <button type="submit" disabled={busy !== null || url === ''}>
            Look up
          </button>
          <label className="file">
            Import profile…
            <input type="file" accept="application/json,.json" onChange={(event) => void importProfile(event.target.files?.[0])} />
          </label>
        </div>
      </form>
      {probe && (
        <form onSubmit={add} className="stack">
          <dl className="findings" aria-label="What Berth found">
            <div className="fact">
              <dt>Registry</dt>
              <dd>{probe.registry}</dd>
            </div>
            <div className="fact">
              <dt>Sign-in</dt>
              <dd>{authModes[probe.authMode] ?? probe.authMode}</dd>
            </div>
            {probe.oidcProviderName && (
              <div className="fact">
                <dt>Provider</dt>
                <dd>{probe.oidcProviderName}</dd>
              </div>
            )}
            <div className="fact">
              <dt>Token service</dt>
              <dd>{probe.tokenService ? new URL(probe.tokenService.realm).host : 'not found'}</dd>
            </div>
          </dl>
          {probe.authMode !== 'oidc_auth' && (
            <p className="sentence warn">This Harbor does not use single sign-on, so Berth cannot sign in to it through the browser.</p>
          )}
          <label>
            Name in Berth
            <input required value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <label>
            Issuer (identity provider URL)
            <input type="url" required placeholder="https://sso.example.org/realms/corp" value={issuer} onChange={(event) => setIssuer(event.target.value)} />
          </label>
          <label>
            Client id
            <input required value={clientId} onChange={(event) => setClientId(event.target.value)} />
          </label>
          <div className="row end">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy !== null || probe.authMode !== 'oidc_auth'}>
              Add and sign in
            </button>
          </div>
        </form>
      )}
      {busy && (
        <p className="busy" role="status">
          {busy}
        </p>
      )}
      {error && (
        <p className="sentence bad" role="alert">
          {error}
        </p>
      )}
      {!probe && (
        <div className="row end">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      )}
    </Dialog>
  );
}
