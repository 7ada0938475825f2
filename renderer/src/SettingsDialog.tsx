import { useState, type FormEvent } from 'react';
import type { AppSettings, CredentialTarget } from '../../main/api/bridge-contract.js';
import { berth, messageOf } from './berth.js';
import { Dialog } from './Dialog.js';
import { FormButtons } from './FormButtons.js';
import { Problem } from './Problem.js';

interface SettingsDialogProps {
  settings: AppSettings;
  onSaved: (settings: AppSettings) => void;
  onClose: () => void;
}

export function SettingsDialog({ settings, onSaved, onClose }: SettingsDialogProps) {
  // What the desktop offers (a tray or not, how it updates) is shown, never sent back as a setting.
  const { trayShown, updatesOtherwise, ...editable } = settings;
  const [draft, setDraft] = useState(editable);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [updateAnswer, setUpdateAnswer] = useState<string | null>(null);

  async function checkForUpdates() {
    setUpdateAnswer('Checking…');
    setUpdateAnswer(await berth().checkForUpdates().catch((failure: unknown) => messageOf(failure)));
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSaved(await berth().updateSettings(draft));
      onClose();
    } catch (failure) {
      setError(messageOf(failure));
      setBusy(false);
    }
  }

  return (
    <Dialog title="Settings" onClose={onClose}>
      <form className="stack" onSubmit={save}>
        <label>
          Keep alive every (hours)
          <input
            type="number"
            min={1}
            step={1}
            required
            value={draft.keepAliveHours}
            onChange={(event) => setDraft({ ...draft, keepAliveHours: Number(event.target.value) })}
          />
        </label>
        <label>
          Warn this many days before an expiry
          <input type="number" min={0} step={1} required value={draft.warnDays} onChange={(event) => setDraft({ ...draft, warnDays: Number(event.target.value) })} />
        </label>
        <label>
          Where docker gets credentials
          <select value={draft.target} onChange={(event) => setDraft({ ...draft, target: event.target.value as CredentialTarget })}>
            <option value="config">Written into docker’s config (or its credential store)</option>
            <option value="helper">Asked of docker-credential-berth on each use</option>
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.startAtLogin} onChange={(event) => setDraft({ ...draft, startAtLogin: event.target.checked })} />
          Start Berth when I log in
        </label>
        <label className="check">
          <input type="checkbox" checked={draft.notifications} onChange={(event) => setDraft({ ...draft, notifications: event.target.checked })} />
          Notify me before a login expires and when one needs me
        </label>
        {updatesOtherwise ? (
          <p className="muted">{updatesOtherwise}</p>
        ) : (
          <label className="check">
            <input type="checkbox" checked={draft.autoUpdate} onChange={(event) => setDraft({ ...draft, autoUpdate: event.target.checked })} />
            Keep Berth up to date (new versions install when Berth quits)
          </label>
        )}
        <div className="row">
          <button type="button" onClick={() => void checkForUpdates()}>
            Check for updates now
          </button>
          <span role="status" className="muted">
            {updateAnswer}
          </span>
        </div>
        {!trayShown && (
          <label>
            When I close the window (this desktop shows no tray icon)
            <select value={draft.closeWithoutTray} onChange={(event) => setDraft({ ...draft, closeWithoutTray: event.target.value as AppSettings['closeWithoutTray'] })}>
              <option value="minimize">Keep Berth running, minimised</option>
              <option value="quit">Quit Berth</option>
            </select>
          </label>
        )}
        <Problem text={error} />
        <FormButtons onCancel={onClose} submit="Save" disabled={busy} />
      </form>
    </Dialog>
  );
}
