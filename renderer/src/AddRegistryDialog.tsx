import { useState, type FormEvent } from 'react';
import type { HarborProbe, RegistryProfile } from '../../main/api/bridge-contract.js';
import { AddTokenForm } from './AddTokenForm.js';
import { berth, messageOf } from './berth.js';
import { Dialog } from './Dialog.js';
import { Fact } from './Fact.js';
import { FormButtons } from './FormButtons.js';
import { Problem } from './Problem.js';

interface AddRegistryDialogProps {
  onClose: () => void;
  /** Called once the registry is added; `signIn`: the caller signs in next (a Harbor; a token is in place already). */
  onAdded: (name: string, signIn: boolean) => void;
}

/** How Harbor signs people in, in words; the tooltip names Harbor's auth mode. */
const authModes: Record<string, string> = {
  oidc_auth: 'Single sign-on',
  db_auth: 'Harbor’s own accounts',
  ldap_auth: 'Company directory (LDAP)',
  uaa_auth: 'Cloud Foundry accounts (UAA)',
  http_auth: 'A sign-in proxy',
};

type Method = 'web' | 'oidc';

/** Add a Harbor: its URL is all Berth needs (it reads the rest from Harbor); an administrator's client id is optional. */
export function AddRegistryDialog({ onClose, onAdded }: AddRegistryDialogProps) {
  const [tab, setTab] = useState<'harbor' | 'token'>('harbor');
  const [url, setUrl] = useState('');
  const [probe, setProbe] = useState<HarborProbe | null>(null);
  const [name, setName] = useState('');
  const [method, setMethod] = useState<Method>('web');
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
      setIssuer((current) => current || found.issuer || '');
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
      setMethod('oidc');
      setClientId(read.clientId);
      if (read.issuer) setIssuer(read.issuer);
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
      const { view } = await berth().addRegistry({
        name,
        url: probe.url,
        method,
        ...(method === 'oidc'
          ? {
              clientId,
              ...(issuer ? { issuer } : {}),
              ...(profile?.scopes ? { scopes: profile.scopes } : {}),
              ...(profile?.authParams ? { authParams: profile.authParams } : {}),
              ...(profile?.loopbackPort ? { loopbackPort: profile.loopbackPort } : {}),
              ...(profile?.maxSessionDays ? { maxSessionDays: profile.maxSessionDays } : {}),
            }
          : {}),
        ...(profile?.idleDays ? { idleDays: profile.idleDays } : {}),
        ...(method === 'oidc' && profile?.updateUrl ? { updateUrl: profile.updateUrl } : {}),
      });
      onAdded(view.name, true);
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(null);
    }
  }

  const oidc = probe?.authMode === 'oidc_auth';
  const tabs = (
    <div className="tabs" role="tablist" aria-label="What to add">
      {(
        [
          ['harbor', 'Harbor'],
          ['token', 'Token or robot account'],
        ] as const
      ).map(([id, label]) => (
        <button key={id} type="button" role="tab" aria-selected={tab === id} className={tab === id ? 'selected' : undefined} onClick={() => setTab(id)}>
          {label}
        </button>
      ))}
    </div>
  );
  if (tab === 'token') {
    return (
      <Dialog title="Add a token or robot account" onClose={onClose}>
        {tabs}
        <AddTokenForm onClose={onClose} onAdded={(name) => onAdded(name, false)} />
      </Dialog>
    );
  }
  return (
    <Dialog title="Add a Harbor registry" onClose={onClose}>
      {tabs}
      <form onSubmit={lookUp} className="stack">
        <label>
          Harbor URL
          <input required placeholder="harbor.example.org" value={url} onChange={(event) => setUrl(event.target.value)} autoFocus />
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
            <Fact term="Registry">{probe.registry}</Fact>
            <Fact term="Sign-in" about={`Harbor's authentication mode: ${probe.authMode}${oidc ? ' (OpenID Connect)' : ''}`}>
              {authModes[probe.authMode] ?? probe.authMode}
            </Fact>
            {probe.harborVersion && <Fact term="Harbor">{probe.harborVersion}</Fact>}
            {oidc && (
              <Fact term="Signs you in" about="The OIDC identity provider (its issuer) that Harbor's login sends you to, and the name Harbor gives it">
                {[probe.oidcProviderName, probe.issuer ? new URL(probe.issuer).host : 'not found'].filter(Boolean).join(' at ')}
              </Fact>
            )}
            <Fact term="Docker logs in at" about="Harbor's token service (the realm of the registry's Bearer challenge): docker trades the CLI secret for a pull token there">
              {probe.tokenService ? new URL(probe.tokenService.realm).host : 'not found'}
            </Fact>
          </dl>
          {!oidc && <p className="sentence bad">This Harbor does not use single sign-on, so it has no CLI secret for Berth to keep alive; use docker login with your Harbor password or a robot account.</p>}
          <Problem text={probe.existing && `${probe.registry} is already in Berth as “${probe.existing}”.`} />
          {probe.warnings.map((warning) => (
            <p key={warning} className="sentence warn" role="note">
              {warning}
            </p>
          ))}
          <label>
            Name in Berth
            <input required value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <fieldset className="stack choice">
            <legend>Sign in with</legend>
            <label className="check">
              <input type="radio" name="method" value="web" checked={method === 'web'} onChange={() => setMethod('web')} />
              Harbor’s own web login (nothing to register; works for everyone)
            </label>
            <label className="check">
              <input type="radio" name="method" value="oidc" checked={method === 'oidc'} onChange={() => setMethod('oidc')} />
              Berth’s own client at the identity provider (an administrator registered one)
            </label>
          </fieldset>
          {method === 'oidc' && profile?.updateUrl && (
            <p className="sentence" role="note">
              The profile also names a server for Berth’s own updates, {new URL(profile.updateUrl).host}. Berth asks you once this registry is added.
            </p>
          )}
          {method === 'oidc' && (
            <>
              <label>
                Issuer (identity provider URL)
                <input type="url" required placeholder="https://sso.example.org/realms/corp" value={issuer} onChange={(event) => setIssuer(event.target.value)} />
              </label>
              <label>
                Client id
                <input required value={clientId} onChange={(event) => setClientId(event.target.value)} />
              </label>
            </>
          )}
          <FormButtons onCancel={onClose} submit="Add and sign in" disabled={busy !== null || !oidc || probe.existing !== null} />
        </form>
      )}
      {busy && (
        <p className="busy" role="status">
          {busy}
        </p>
      )}
      <Problem text={error} />
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
