import { useState, type FormEvent } from 'react';
import type { RegistryView } from '../../main/api/bridge-contract.js';
import { berth, messageOf } from './berth.js';
import { Dialog } from './Dialog.js';
import { FormButtons } from './FormButtons.js';
import { Problem } from './Problem.js';

interface ReplaceTokenDialogProps {
  view: RegistryView;
  onOpen: (url: string) => void;
  onClose: () => void;
}

/** A new token for a token registry: Berth checks it with the registry, then writes it everywhere docker reads it at once. */
export function ReplaceTokenDialog({ view, onOpen, onClose }: ReplaceTokenDialogProps) {
  const [username, setUsername] = useState(view.username ?? '');
  const [secret, setSecret] = useState('');
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await berth().replace({ name: view.name, username, secret, ...(expires ? { expiresAt: new Date(`${expires}T23:59:59`).toISOString() } : {}) });
      onClose();
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  }

  const pointer = view.pointer;
  return (
    <Dialog title={`Replace the token for ${view.registry}`} onClose={onClose}>
      <ol className="steps">
        <li>
          Get a new token. {pointer?.where}{' '}
          {pointer?.url && (
            <button type="button" onClick={() => onOpen(pointer.url as string)}>
              Open where tokens are made
            </button>
          )}
        </li>
        <li>Paste it here. Berth checks it with the registry before it replaces the old one in the keychain and everywhere docker reads it.</li>
      </ol>
      <form onSubmit={submit} className="stack">
        <label>
          User name
          <input required autoComplete="username" value={username} onChange={(event) => setUsername(event.target.value)} />
        </label>
        <label>
          New token
          <input required type="password" autoComplete="off" value={secret} onChange={(event) => setSecret(event.target.value)} autoFocus />
        </label>
        <label>
          Expires on (if you know)
          <input type="date" value={expires} onChange={(event) => setExpires(event.target.value)} />
        </label>
        <Problem text={error} />
        <FormButtons onCancel={onClose} submit={busy ? 'Checking…' : 'Check and replace'} disabled={busy} />
      </form>
    </Dialog>
  );
}
