import { useState, type FormEvent } from 'react';
import type { TokenAdvice } from '../../main/api/bridge-contract.js';
import { berth, messageOf } from './berth.js';
import { FormButtons } from './FormButtons.js';
import { Problem } from './Problem.js';

interface AddTokenFormProps {
  onClose: () => void;
  onAdded: (name: string) => void;
}

/** A date input's day (`2026-12-31`) as the end of that day where the person is. */
function endOfDay(day: string): string {
  return new Date(`${day}T23:59:59`).toISOString();
}

/** Add a registry with a user name and token (robot account, personal access token): Berth checks the token with the registry before it stores anything. */
export function AddTokenForm({ onClose, onAdded }: AddTokenFormProps) {
  const [url, setUrl] = useState('');
  const [advice, setAdvice] = useState<TokenAdvice | null>(null);
  const [name, setName] = useState('');
  const [username, setUsername] = useState('');
  const [secret, setSecret] = useState('');
  const [expires, setExpires] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function lookUp(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      const found = await berth().tokenAdvice(url);
      setAdvice(found);
      setName((current) => current || found.suggestedName);
      setNote((current) => current || found.suggestedNote || '');
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  async function add(event: FormEvent) {
    event.preventDefault();
    if (!advice) return;
    setBusy('Checking the token with the registry…');
    setError(null);
    try {
      const { view } = await berth().addRegistry({
        kind: 'token',
        name,
        url: advice.url,
        username,
        secret,
        ...(expires ? { expiresAt: endOfDay(expires) } : {}),
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      onAdded(view.name);
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(null);
    }
  }

  return (
    <>
      <form onSubmit={lookUp} className="stack">
        <label>
          Registry URL
          <input required placeholder="registry.example.org" value={url} onChange={(event) => setUrl(event.target.value)} autoFocus />
        </label>
        <div className="row">
          <button type="submit" disabled={busy !== null || url === ''}>
            Look up
          </button>
        </div>
      </form>
      {advice && (
        <form onSubmit={add} className="stack">
          <p className="sentence" role="note">
            <strong>Where tokens come from:</strong> {advice.pointer.where}
          </p>
          <Problem text={advice.existing && `${advice.registry} is already in Berth as “${advice.existing}”.`} />
          {advice.suggestedNote && (
            <p className="sentence warn" role="note">
              {advice.registry} wants one token per machine. Describe this machine’s token as “{advice.suggestedNote}” so colleagues can tell it apart.
            </p>
          )}
          <label>
            Name in Berth
            <input required value={name} onChange={(event) => setName(event.target.value)} />
          </label>
          <label>
            User name
            <input required autoComplete="username" placeholder="robot$project+name" value={username} onChange={(event) => setUsername(event.target.value)} />
          </label>
          <label>
            Token
            <input required type="password" autoComplete="off" value={secret} onChange={(event) => setSecret(event.target.value)} />
          </label>
          <label>
            Expires on (if you know; Berth reads it from the token or from Harbor where it can)
            <input type="date" value={expires} onChange={(event) => setExpires(event.target.value)} />
          </label>
          <label>
            Note (the token’s description at the registry)
            <input value={note} onChange={(event) => setNote(event.target.value)} />
          </label>
          <FormButtons onCancel={onClose} submit={busy ? 'Checking…' : 'Check and add'} disabled={busy !== null || advice.existing !== null} />
        </form>
      )}
      {busy && (
        <p className="busy" role="status">
          {busy}
        </p>
      )}
      <Problem text={error} />
      {!advice && (
        <div className="row end">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      )}
    </>
  );
}
