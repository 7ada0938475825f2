import { useEffect, useRef } from 'react';
import type { RegistryView } from '../../main/api/bridge-contract.js';
import { cardButtons, rechecked, type RegistryActions } from './card-actions.js';
import { Fact } from './Fact.js';
import { MoreMenu } from './MoreMenu.js';
import { cadence, countdown, fullDate, relative } from './time.js';
import { methodTerms, methodWords, stateBadge, stateSentence, tokenStateSentence } from './words.js';
import { Problem } from './Problem.js';

export type { RegistryActions } from './card-actions.js';

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

/** "29 days left", "5 minutes ago": with the date beside it, since a countdown alone does not say when. */
function When({ at, now, future }: { at: string; now: number; future?: boolean }) {
  return (
    <>
      <time dateTime={at}>{future ? countdown(at, now) : relative(at, now)}</time> <span className="muted">({fullDate(at)})</span>
    </>
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
  const harbor = view.kind === 'harbor';
  const signedIn = view.username !== null && view.state !== 'signed-out';
  const headingId = `registry-${view.name}`;
  const buttons = cardButtons(view, { signedIn, signingIn, busy: busy !== null }, actions);
  // Harbor has already dropped the session: the old deadline no longer means anything.
  const lasts =
    view.state === 'needs-web-login'
      ? 'ended'
      : view.idleDeadline && (
          <>
            <When at={view.idleDeadline} now={now} future />
            {view.keepAliveHours !== null && `; renewed ${cadence(view.keepAliveHours)}`}
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
        <Fact term="Signed in as">{view.username ?? '—'}</Fact>
        <Fact term="Signs in with" about={methodTerms[view.method]}>
          {methodWords[view.method]}
        </Fact>
        {harbor && (
          <Fact term="Harbor login lasts" about="Harbor's stored OIDC session: it ends after the identity provider's idle window (30 days in Keycloak) without use; each renewal uses it">
            {lasts || '—'}
          </Fact>
        )}
        {harbor && <Fact term="Last renewed" about="The last keep-alive pass: the CLI secret used at Harbor's token service">{view.lastKeptAliveAt ? <When at={view.lastKeptAliveAt} now={now} /> : '—'}</Fact>}
        {harbor &&
          (rechecked(view) ? (
            <Fact term="Next check" about="While the login does not work, Berth looks again every few minutes, and at once when the network comes back">
              {view.nextKeepAliveAt ? <When at={view.nextKeepAliveAt} now={now} /> : '—'}
            </Fact>
          ) : (
            <Fact term="Next renewal" about="The next keep-alive pass">
              {view.nextKeepAliveAt ? <When at={view.nextKeepAliveAt} now={now} /> : '—'}
            </Fact>
          ))}
        {view.kind === 'token' && (
          <Fact term="Token expires" about={view.expirySource === 'jwt' ? 'Read from the token itself (its exp claim)' : view.expirySource === 'harbor' ? 'Read from Harbor (the robot account’s expires_at)' : 'The date you gave; Berth warns before it'}>
            {view.expiresAt ? (
              <>
                {Date.parse(view.expiresAt) > now ? `in ${countdown(view.expiresAt, now).replace(/ left$/, '')}` : 'expired'} <span className="muted">({fullDate(view.expiresAt)})</span>
              </>
            ) : view.expirySource ? (
              'never'
            ) : (
              'not known'
            )}
          </Fact>
        )}
        {view.kind === 'stackit' && (
          <Fact term="Access tokens" about="Minted with the service account’s key in the keychain (STACKIT’s key flow); each lives minutes">
            {view.accessTokenExpiresAt ? (
              <>
                renewed by Berth; this one expires <When at={view.accessTokenExpiresAt} now={now} />
              </>
            ) : (
              'renewed by Berth'
            )}
          </Fact>
        )}
        {view.kind === 'stackit' && view.expiresAt && (
          <Fact term="Key valid until" about="The service-account key’s validUntil">
            <When at={view.expiresAt} now={now} future />
          </Fact>
        )}
        {!harbor && <Fact term="Last checked" about="The registry last accepted the credential (the daily check asks for a token, without pulling)">{view.lastKeptAliveAt ? <When at={view.lastKeptAliveAt} now={now} /> : '—'}</Fact>}
        {!harbor && <Fact term="Next check" about="The next daily check">{view.nextKeepAliveAt ? <When at={view.nextKeepAliveAt} now={now} /> : '—'}</Fact>}
        {view.note && <Fact term="Note" about="The token’s description at the registry">{view.note}</Fact>}
        {view.method === 'oidc' && (
          <Fact
            term="Berth’s own session"
            about="Berth's refresh token at the identity provider, which it uses to fetch a new CLI secret; each keep-alive pass (renewal) refreshes it, up to the end the provider may fix"
          >
            {!signedIn ? (
              '—'
            ) : view.state === 'needs-sign-in' ? (
              'ended'
            ) : view.sessionExpiresAt ? (
              view.sessionFixed ? (
                <>
                  ends on <time dateTime={view.sessionExpiresAt}>{fullDate(view.sessionExpiresAt)}</time>; renewing cannot extend it
                </>
              ) : (
                <When at={view.sessionExpiresAt} now={now} future />
              )
            ) : (
              'extended at each renewal'
            )}
          </Fact>
        )}
        <Fact term="Docker reads it from" about={view.target === 'helper' ? 'docker-credential-berth, the credential helper named in docker’s config.json' : '~/.docker/config.json, or the credential store it names (credsStore, credHelpers)'}>
          {view.target === 'helper' ? 'Berth, at each pull' : 'its config file'}
        </Fact>
      </dl>
      <p className={`sentence ${badge.tone}`}>{view.lastError ?? ((view.kind === 'token' && tokenStateSentence[view.state]) || stateSentence[view.state])}</p>
      {view.notice && (
        <p className="sentence warn" role="note">
          {view.notice}
        </p>
      )}
      <Problem text={error} />
      <div className="actions">
        {[...(buttons.primary ? [buttons.primary] : []), ...buttons.beside].map((action) => (
          <button key={action.label} type="button" className={action === buttons.primary ? 'primary' : undefined} title={action.title} disabled={action.disabled} onClick={action.run}>
            {action.label}
          </button>
        ))}
        <MoreMenu items={buttons.more} label={`More actions for ${view.name}`} />
      </div>
      {busy && (
        <p className="busy" role="status">
          {busy}
        </p>
      )}
    </article>
  );
}
