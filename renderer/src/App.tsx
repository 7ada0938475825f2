import { useCallback, useEffect, useRef, useState } from 'react';
import type { ActivityEntry, AppSettings, BridgeEvent, RegistryIntent, RegistryView } from '../../main/api/bridge-contract.js';
import { ActivityList } from './ActivityList.js';
import { AddRegistryDialog } from './AddRegistryDialog.js';
import { berth, messageOf } from './berth.js';
import { CheckImage } from './CheckImage.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { PasteSecretDialog } from './PasteSecretDialog.js';
import { ReplaceTokenDialog } from './ReplaceTokenDialog.js';
import { TokenExpiryDialog } from './TokenExpiryDialog.js';
import { RegistryCard, type RegistryActions } from './RegistryCard.js';
import { SettingsDialog } from './SettingsDialog.js';
import { useNow } from './use-now.js';
import { Problem } from './Problem.js';

type Open =
  | { dialog: 'add' }
  | { dialog: 'settings' }
  | { dialog: 'regenerate'; view: RegistryView }
  | { dialog: 'remove'; view: RegistryView }
  | { dialog: 'paste'; view: RegistryView }
  | { dialog: 'replace'; view: RegistryView }
  | { dialog: 'expiry'; view: RegistryView }
  | null;

/** The registry and intent the tray or a notification asked for, from the URL of a newly opened window. */
function requestedAtStart(): { name: string; intent: RegistryIntent | null } | null {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const name = params.get('registry');
  const intent = params.get('intent');
  return name ? { name, intent: intent === 'regenerate' || intent === 'check' || intent === 'replace' ? intent : null } : null;
}

function upsert(views: RegistryView[], view: RegistryView): RegistryView[] {
  return views.some((existing) => existing.name === view.name) ? views.map((existing) => (existing.name === view.name ? view : existing)) : [...views, view];
}

export function App() {
  const now = useNow();
  const [registries, setRegistries] = useState<RegistryView[] | null>(null);
  const [activity, setActivity] = useState<ActivityEntry[]>([]);
  const [settings, setSettings] = useState<AppSettings | null>(null);
  const [busy, setBusy] = useState<Record<string, string>>({});
  const [signingIn, setSigningIn] = useState<Set<string>>(new Set());
  // Sign-ins the person broke off to paste the secret instead: their "window closed" is not an error to show.
  const brokenOff = useRef(new Set<string>());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [open, setOpen] = useState<Open>(null);
  const [focus, setFocus] = useState<string | null>(null);
  const [checkPrefill, setCheckPrefill] = useState<{ text: string; at: number } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  // The registry shown goes into the URL's fragment (an in-page navigation the app sees): the window reopens there.
  useEffect(() => {
    if (focus) window.location.replace(`#${new URLSearchParams({ registry: focus })}`);
  }, [focus]);

  const show = useCallback((name: string, intent: RegistryIntent | null, views: RegistryView[]) => {
    setFocus(name);
    const view = views.find((candidate) => candidate.name === name);
    if (!view) return;
    if (intent === 'regenerate') setOpen({ dialog: 'regenerate', view });
    if (intent === 'replace' && view.can.replace) setOpen({ dialog: 'replace', view });
    if (intent === 'check') setCheckPrefill({ text: view.registry, at: Date.now() });
  }, []);

  useEffect(() => {
    let latest: RegistryView[] = [];
    const stop = berth().onEvent((event: BridgeEvent) => {
      if (event.type === 'registry-updated') setRegistries((views) => (latest = upsert(views ?? [], event.view)));
      if (event.type === 'registry-removed') setRegistries((views) => (latest = (views ?? []).filter((view) => view.name !== event.name)));
      if (event.type === 'activity') setActivity((entries) => [event.entry, ...entries].slice(0, 100));
      if (event.type === 'show-registry') show(event.name, event.intent, latest);
    });
    Promise.all([berth().listRegistries(), berth().activity(), berth().settings()])
      .then(([views, entries, loaded]) => {
        latest = views;
        setRegistries(views);
        setActivity(entries);
        setSettings(loaded);
        const requested = requestedAtStart();
        if (requested) show(requested.name, requested.intent, views);
      })
      .catch((failure: unknown) => setLoadError(messageOf(failure)));
    return stop;
  }, [show]);

  /** Runs one action on a registry, showing what it is doing and, if it fails, why. */
  async function act(name: string, doing: string, action: () => Promise<unknown>) {
    setBusy((current) => ({ ...current, [name]: doing }));
    setErrors(({ [name]: _cleared, ...rest }) => rest);
    try {
      await action();
    } catch (failure) {
      if (!brokenOff.current.delete(name)) setErrors((current) => ({ ...current, [name]: messageOf(failure) }));
    } finally {
      setBusy(({ [name]: _done, ...rest }) => rest);
    }
  }

  const openUrl = (url: string) => void berth().openExternal(url).catch((failure: unknown) => setLoadError(messageOf(failure)));
  const actions: RegistryActions = {
    signIn: (name) => {
      const web = registries?.find((candidate) => candidate.name === name)?.method === 'web';
      setSigningIn((current) => new Set(current).add(name));
      void act(name, web ? 'Waiting for you to log in to Harbor in Berth’s sign-in window…' : 'Waiting for you to sign in in the browser…', () =>
        berth()
          .signIn(name)
          .finally(() =>
            setSigningIn((current) => {
              const next = new Set(current);
              next.delete(name);
              return next;
            }),
          ),
      );
    },
    pasteSecret: (view) => {
      if (signingIn.has(view.name)) {
        brokenOff.current.add(view.name);
        void berth().cancelSignIn(view.name);
      }
      setOpen({ dialog: 'paste', view });
    },
    refresh: (name) => void act(name, 'Refreshing…', () => berth().refresh(name)),
    regenerate: (name) => {
      const view = registries?.find((candidate) => candidate.name === name);
      if (view) setOpen({ dialog: 'regenerate', view });
    },
    check: (view) => setCheckPrefill({ text: view.registry, at: Date.now() }),
    replace: (view) => setOpen({ dialog: 'replace', view }),
    setExpiry: (view) => setOpen({ dialog: 'expiry', view }),
    open: openUrl,
    signOut: (name) => void act(name, 'Signing out…', () => berth().signOut(name)),
    remove: (name) => {
      const view = registries?.find((candidate) => candidate.name === name);
      if (view) setOpen({ dialog: 'remove', view });
    },
  };

  return (
    <div className="app">
      <header className="top">
        <h1>Berth</h1>
        <div className="row">
          <button type="button" className="primary" onClick={() => setOpen({ dialog: 'add' })}>
            Add registry…
          </button>
          <button type="button" onClick={() => setOpen({ dialog: 'settings' })} disabled={!settings}>
            Settings…
          </button>
          {settings && !settings.trayShown && (
            <button type="button" onClick={() => void berth().quit()} title="This desktop shows no tray icon, so Berth is quit from here">
              Quit Berth
            </button>
          )}
        </div>
      </header>
      <Problem text={loadError} />
      <main>
        <section aria-labelledby="registries-heading">
          <h2 id="registries-heading">Registries</h2>
          {registries === null ? (
            <p className="muted">Loading…</p>
          ) : registries.length === 0 ? (
            <p className="muted">No registries yet. Add your Harbor to keep its docker login alive.</p>
          ) : (
            <div className="registries">
              {registries.map((view) => (
                <RegistryCard
                  key={view.name}
                  view={view}
                  now={now}
                  busy={busy[view.name] ?? null}
                  signingIn={signingIn.has(view.name)}
                  error={errors[view.name] ?? null}
                  focused={focus === view.name}
                  actions={actions}
                />
              ))}
            </div>
          )}
        </section>
        <CheckImage prefill={checkPrefill} onOpen={openUrl} registries={registries ?? []} />
        <ActivityList entries={activity} now={now} />
      </main>
      {open?.dialog === 'add' && (
        <AddRegistryDialog
          onClose={() => setOpen(null)}
          onAdded={(name, signIn) => {
            setOpen(null);
            setFocus(name);
            if (signIn) actions.signIn(name);
          }}
        />
      )}
      {open?.dialog === 'paste' && <PasteSecretDialog view={open.view} onOpen={openUrl} onClose={() => setOpen(null)} />}
      {open?.dialog === 'replace' && <ReplaceTokenDialog view={open.view} onOpen={openUrl} onClose={() => setOpen(null)} />}
      {open?.dialog === 'expiry' && <TokenExpiryDialog view={open.view} onClose={() => setOpen(null)} />}
      {open?.dialog === 'settings' && settings && <SettingsDialog settings={settings} onSaved={setSettings} onClose={() => setOpen(null)} />}
      {open?.dialog === 'regenerate' && (
        <ConfirmDialog
          title={`Regenerate the CLI secret for ${open.view.registry}?`}
          confirm="Regenerate"
          onClose={() => setOpen(null)}
          onConfirm={() => {
            const { name } = open.view;
            void act(name, 'Regenerating the CLI secret…', () => berth().regenerate(name));
          }}
        >
          <p>
            Harbor makes a new CLI secret for {open.view.username ?? 'you'}, and the old one stops working at once. Berth puts the new one in docker’s credentials on this
            machine. <strong>Other machines and CI jobs that use the old secret lose access</strong> until they log in with the new one.
          </p>
        </ConfirmDialog>
      )}
      {open?.dialog === 'remove' && (
        <ConfirmDialog
          title={`Remove ${open.view.name}?`}
          confirm="Remove"
          onClose={() => setOpen(null)}
          onConfirm={() => {
            const { name } = open.view;
            void act(name, 'Removing…', () => berth().removeRegistry(name));
          }}
        >
          <p>Berth signs out, deletes its docker credentials for {open.view.registry} and forgets the registry.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
