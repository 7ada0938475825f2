import { useEffect, useRef } from 'react';
import type { RegistryView } from '../../main/api/bridge-contract.js';
import { cadence, countdown, fullDate, relative } from './time.js';
import { methodWords, stateBadge, stateSentence } from './words.js';
import { Problem } from './Problem.js';

export interface RegistryActions {
  signIn(name: string): void;
  pasteSecret(view: RegistryView): void;
  refresh(name: string): void;
  regenerate(name: string): void;
  check(view: RegistryView): void;
  open(url: string): void;
  signOut(name: string): void;
  remove(name: string): void;
}

interface RegistryCardProps {
  view: RegistryView;
  now: number;
  busy: string | null;
  /** Berth's sign-in window onto Harbor is open for this registry. */
  signingIn: boolean;
  error: string | null;
  focused: boolean;
  actions: RegistryActions;
}

function Fact({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div className="fact">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function When({ at, now, future }: { at: string; now: number; future?: boolean }) {
  return (
    <time dateTime={at} title={fullDate(at)}>
      {future ? countdown(at, now) : relative(at, now)}
    </time>
  );
}

export function RegistryCard({ view, now, busy, signingIn, error, focused, actions }: RegistryCardProps) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (focused) {
      ref.current?.scrollIntoView({ block: 'nearest' });
      ref.current?.focus();
    }
  }, [focused]);
  const badge = stateBadge[view.state];
  const { can } = view;
  const harbor = view.kind === 'harbor';
  const signedIn = view.username !== null && view.state !== 'signed-out';
  const headingId = `registry-${view.name}`;
  // Harbor has already dropped the session: the old deadline no longer means anything.
  const idle = view.state === 'needs-web-login' ? 'expired' : view.idleDeadline && (
    <>
      <When at={view.idleDeadline} now={now} future />
      {view.keepAliveHours !== null && `; kept alive ${cadence(view.keepAliveHours)}`}
    </>
  );
  return (
    <article ref={ref} className={`registry${focused ? ' focused' : ''}`} aria-labelledby={headingId} tabIndex={-1} data-registry={view.name}>
      <header>
        <h3 id={headingId}>{view.name}</h3>
        <span className={`badge ${badge.tone}`} role="status" aria-label={`State: ${badge.text}`}>
          {badge.text}
        </span>
      </header>
      <dl className="facts">
        <Fact term="Registry">{view.registry}</Fact>
        <Fact term="User">{view.username ?? '—'}</Fact>
        <Fact term="Signs in with">{methodWords[view.method]}</Fact>
        {harbor && <Fact term="Harbor session">{idle || '—'}</Fact>}
        {harbor && <Fact term="Last keep-alive">{view.lastKeptAliveAt ? <When at={view.lastKeptAliveAt} now={now} /> : '—'}</Fact>}
        {harbor && <Fact term="Next keep-alive">{view.nextKeepAliveAt ? <When at={view.nextKeepAliveAt} now={now} /> : '—'}</Fact>}
        {view.method === 'oidc' && (
          <Fact term="Berth’s sign-in">
            {!signedIn ? (
              '—'
            ) : view.state === 'needs-sign-in' ? (
              'ended'
            ) : view.sessionExpiresAt ? (
              view.sessionFixed ? (
                <>
                  ends on <time dateTime={view.sessionExpiresAt}>{fullDate(view.sessionExpiresAt)}</time>, keep-alive cannot extend it
                </>
              ) : (
                <When at={view.sessionExpiresAt} now={now} future />
              )
            ) : (
              'does not expire'
            )}
          </Fact>
        )}
        <Fact term="docker gets it">{view.target === 'helper' ? 'from docker-credential-berth' : 'from its config'}</Fact>
      </dl>
      <p className={`sentence ${badge.tone}`}>{view.lastError ?? stateSentence[view.state]}</p>
      {view.notice && (
        <p className="sentence warn" role="note">
          {view.notice}
        </p>
      )}
      <Problem text={error} />
      <div className="actions">
        {view.actionUrl && view.method === 'web' && (
          <button type="button" className="primary" disabled={busy !== null} onClick={() => actions.signIn(view.name)}>
            Log in to Harbor again
          </button>
        )}
        {view.actionUrl && view.method !== 'web' && (
          <button type="button" className="primary" onClick={() => actions.open(view.actionUrl as string)}>
            Open Harbor web login
          </button>
        )}
        {can.signIn && !(view.actionUrl && view.method === 'web') && (
          <button type="button" className={signedIn ? '' : 'primary'} disabled={busy !== null} onClick={() => actions.signIn(view.name)}>
            {signedIn ? 'Sign in again' : 'Sign in'}
          </button>
        )}
        {can.pasteSecret && (
          <button type="button" disabled={busy !== null && !signingIn} onClick={() => actions.pasteSecret(view)}>
            {signingIn ? 'Use my browser and paste the CLI secret instead' : 'Paste CLI secret…'}
          </button>
        )}
        {can.keepAlive && signedIn && (
          <button type="button" disabled={busy !== null} onClick={() => actions.refresh(view.name)}>
            Refresh now
          </button>
        )}
        {can.regenerate && signedIn && (
          <button type="button" disabled={busy !== null} onClick={() => actions.regenerate(view.name)}>
            Regenerate CLI secret…
          </button>
        )}
        <button type="button" onClick={() => actions.check(view)}>
          Check image…
        </button>
        <button type="button" onClick={() => actions.open(view.url)}>
          Open in browser
        </button>
        {signedIn && (
          <button type="button" disabled={busy !== null} onClick={() => actions.signOut(view.name)}>
            Sign out
          </button>
        )}
        <button type="button" className="danger" disabled={busy !== null} onClick={() => actions.remove(view.name)}>
          Remove…
        </button>
      </div>
      {busy && (
        <p className="busy" role="status">
          {busy}
        </p>
      )}
    </article>
  );
}
