import { useState, type FormEvent } from 'react';
import type { RegistryView } from '../../main/api/bridge-contract.js';
import { berth, messageOf } from './berth.js';
import { Dialog } from './Dialog.js';
import { FormButtons } from './FormButtons.js';
import { Problem } from './Problem.js';

interface TokenExpiryDialogProps {
  view: RegistryView;
  onClose: () => void;
}

/** When a token ends, as the person knows it from where they made it: Berth warns before that day. */
export function TokenExpiryDialog({ view, onClose }: TokenExpiryDialogProps) {
  const [day, setDay] = useState(view.expiresAt ? view.expiresAt.slice(0, 10) : '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await berth().updateRegistry({ name: view.name, expiresAt: day ? new Date(`${day}T23:59:59`).toISOString() : null });
      onClose();
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  }

  return (
    <Dialog title={`When does the token for ${view.registry} expire?`} onClose={onClose}>
      <p>The registry showed the date when it made the token. Berth warns before that day; leave it empty if you do not know.</p>
      <form onSubmit={submit} className="stack">
        <label>
          Expires on
          <input type="date" value={day} onChange={(event) => setDay(event.target.value)} autoFocus />
        </label>
        <Problem text={error} />
        <FormButtons onCancel={onClose} submit={busy ? 'Saving…' : 'Save'} disabled={busy} />
      </form>
    </Dialog>
  );
}
