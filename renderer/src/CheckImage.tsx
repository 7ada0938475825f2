import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { CheckResult, RegistryState, RegistryView } from '../../main/api/bridge-contract.js';
import { berth, messageOf } from './berth.js';
import { verdictWords } from './words.js';
import { Problem } from './Problem.js';

interface CheckImageProps {
  /** A registry host to start the field with, when the user came from a registry's "Check image…". */
  prefill: { text: string; at: number } | null;
  onOpen: (url: string) => void;
  /** The registries as they are now: a verdict is re-checked when its registry's state changes. */
  registries: RegistryView[];
}

/** "Will `docker pull` work?" for an image reference or a registry. */
export function CheckImage({ prefill, onOpen, registries }: CheckImageProps) {
  const [reference, setReference] = useState('');
  const [result, setResult] = useState<CheckResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [rechecked, setRechecked] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const stateOf = (host: string): RegistryState | undefined => registries.find((view) => view.registry === host)?.state;
  // The state of the verdict's registry when the verdict came.
  const checkedIn = useRef<RegistryState | undefined>(undefined);
  const shownState = result ? stateOf(result.registry) : undefined;

  useEffect(() => {
    if (!prefill) return;
    setReference(prefill.text);
    input.current?.focus();
    input.current?.scrollIntoView({ block: 'nearest' });
  }, [prefill]);

  async function run(what: string, again: boolean) {
    setBusy(true);
    setError(null);
    try {
      const answer = await berth().check(what);
      checkedIn.current = stateOf(answer.registry);
      setResult(answer);
      setRechecked(again);
    } catch (failure) {
      setResult(null);
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  function check(event: FormEvent) {
    event.preventDefault();
    void run(reference, false);
  }

  // A verdict is about the registry as it was: when its state changes (a login died, a sign-in repaired it), ask again.
  useEffect(() => {
    if (result && !busy && shownState !== checkedIn.current) void run(result.reference, true);
  }, [shownState]);

  const verdict = result && verdictWords[result.verdict];
  return (
    <section className="panel" aria-labelledby="check-heading">
      <h2 id="check-heading">Will this pull work?</h2>
      <form className="row" onSubmit={check}>
        <label className="grow">
          Image or registry
          <input ref={input} required placeholder="harbor.example.org/project/image:tag" value={reference} onChange={(event) => setReference(event.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy || reference.trim() === ''}>
          {busy ? 'Checking…' : 'Check'}
        </button>
      </form>
      <div aria-live="polite">
        {result && verdict && (
          <div className={`verdict ${verdict.tone}`} data-verdict={result.verdict}>
            <strong>{verdict.text}</strong>
            <span>{result.message}</span>
            {rechecked && <span className="muted">Checked again: {result.registry} changed since the last check.</span>}
            {result.actionUrl && (
              <button type="button" onClick={() => onOpen(result.actionUrl as string)}>
                Open the page that fixes it
              </button>
            )}
          </div>
        )}
        <Problem text={error} />
      </div>
    </section>
  );
}
