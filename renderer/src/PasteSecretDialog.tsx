import { useState, type FormEvent } from 'react';
import type { RegistryView } from '../../main/api/bridge-contract.js';
import { berth, messageOf } from './berth.js';
import { Dialog } from './Dialog.js';
import { FormButtons } from './FormButtons.js';
import { Problem } from './Problem.js';

interface PasteSecretDialogProps {
  view: RegistryView;
  onOpen: (url: string) => void;
  onClose: () => void;
}

/** Sign in with the CLI secret from Harbor's User Profile: for providers that refuse embedded browsers, or people who prefer their own. */
export function PasteSecretDialog({ view, onOpen, onClose }: PasteSecretDialogProps) {
  const [username, setUsername] = useState(view.username ?? '');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const webLogin = new URL('c/oidc/login', `${view.url}/`).href;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await berth().signInWithSecret({ name: view.name, username, secret });
      onClose();
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Sign in to ${view.registry} with its CLI secret`} onClose={onClose}>
      <ol className="steps">
        <li>
          Log in to Harbor in your browser.{' '}
          <button type="button" onClick={() => onOpen(webLogin)}>
            Open Harbor in my browser
          </button>
        </li>
        <li>In Harbor, open your user menu (top right) → User Profile, and copy the CLI secret.</li>
        <li>Paste it here. Berth checks it with Harbor before it stores anything.</li>
      </ol>
      <form onSubmit={submit} className="stack">
        <label>
          Harbor username
          <input required autoComplete="username" value={username} onChange={(event) => setUsername(event.target.value)} autoFocus={username === ''} />
        </label>
        <label>
          CLI secret
          <input required type="password" autoComplete="off" value={secret} onChange={(event) => setSecret(event.target.value)} autoFocus={username !== ''} />
        </label>
        <Problem text={error} />
        <FormButtons onCancel={onClose} submit={busy ? 'Checking…' : 'Check and sign in'} disabled={busy} />
      </form>
    </Dialog>
  );
}
