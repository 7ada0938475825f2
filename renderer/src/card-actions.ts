import type { RegistryView } from '../../main/api/bridge-contract.js';

/** What a card's buttons call. */
export interface RegistryActions {
  signIn(name: string): void;
  pasteSecret(view: RegistryView): void;
  refresh(name: string): void;
  regenerate(name: string): void;
  check(view: RegistryView): void;
  /** A new token, checked before it replaces the old one. */
  replace(view: RegistryView): void;
  /** When the token expires, as the person knows it. */
  setExpiry(view: RegistryView): void;
  open(url: string): void;
  signOut(name: string): void;
  remove(name: string): void;
}

export interface CardAction {
  label: string;
  /** The technical term or what exactly happens, for the tooltip. */
  title?: string;
  run(): void;
  disabled?: boolean;
  danger?: boolean;
}

export interface CardButtons {
  /** The one action that fixes the state, if the state needs fixing. */
  primary: CardAction | null;
  /** Shown beside it: what the person is in the middle of, or the everyday action of a working registry. */
  beside: CardAction[];
  /** Everything else, in the "More" menu. */
  more: CardAction[];
}

interface CardContext {
  signedIn: boolean;
  /** Berth's sign-in window onto Harbor is open. */
  signingIn: boolean;
  busy: boolean;
}

/** Per state, the action that fixes it first; the rest behind "More". */
export function cardButtons(view: RegistryView, context: CardContext, actions: RegistryActions): CardButtons {
  const { can, name } = view;
  const { signedIn, signingIn, busy } = context;
  const web = view.method === 'web';
  const signIn: CardAction = {
    label: signedIn ? 'Sign in again' : 'Sign in',
    title: web ? 'Opens Harbor’s own login in a Berth window' : 'Opens your browser at the identity provider',
    run: () => actions.signIn(name),
    disabled: busy,
  };
  const renew: CardAction = { label: 'Renew now', title: 'Uses the credential at the registry now, as the daily keep-alive does', run: () => actions.refresh(name), disabled: busy };
  const tryAgain: CardAction = { ...renew, label: 'Try again' };
  // A token is replaced, never renewed or signed in to; a STACKIT key is replaced with `berth replace --key-file`.
  const replace: CardAction | null =
    can.replace && view.kind === 'token' ? { label: 'Replace token…', title: 'A new token from the registry, checked before it replaces this one everywhere', run: () => actions.replace(view), disabled: busy } : null;
  if (can.replace) {
    renew.label = 'Check now';
    renew.title = 'Asks the registry whether it still accepts the credential, as the daily check does';
  }

  let primary: CardAction | null = null;
  if (view.state === 'needs-web-login' && view.actionUrl) {
    primary = web
      ? { label: 'Log in to Harbor again', title: 'Harbor’s own session has ended; one login in Berth’s window revives it', run: () => actions.signIn(name), disabled: busy }
      : { label: 'Open Harbor web login', title: 'Harbor’s own session has ended; one web login revives it', run: () => actions.open(view.actionUrl as string) };
  } else if ((view.state === 'signed-out' || view.state === 'needs-sign-in') && can.signIn) {
    primary = signIn;
  } else if ((view.state === 'rejected' || view.state === 'expiring') && replace) {
    primary = replace;
  } else if (view.state === 'expiring') {
    primary = view.sessionFixed && can.signIn ? signIn : can.keepAlive && signedIn ? renew : null;
  } else if ((view.state === 'offline' || view.state === 'error' || view.state === 'keychain-locked') && can.keepAlive && signedIn) {
    primary = tryAgain;
  }

  const beside: CardAction[] = [];
  const pointerUrl = view.pointer?.url;
  if (view.state === 'rejected' && pointerUrl) {
    beside.push({ label: view.kind === 'stackit' ? 'Open the STACKIT portal' : 'Where to get a new token', title: view.pointer?.where, run: () => actions.open(pointerUrl) });
  }
  if (can.pasteSecret && signingIn) beside.push({ label: 'Use my browser and paste the CLI secret instead', run: () => actions.pasteSecret(view) });
  const check: CardAction = { label: 'Check image…', title: 'Will docker pull work? Asks the registry, without pulling', run: () => actions.check(view) };
  if (view.state === 'valid') beside.push(check);

  const more: CardAction[] = [];
  if (can.signIn && primary !== signIn) more.push(signIn);
  if (can.pasteSecret && !signingIn) more.push({ label: 'Paste CLI secret…', title: 'From Harbor: your user menu → User Profile', run: () => actions.pasteSecret(view), disabled: busy });
  if (replace && primary !== replace) more.push(replace);
  if (replace && view.expirySource !== 'jwt' && view.expirySource !== 'harbor') more.push({ label: 'Set expiry date…', title: 'When the token expires, so Berth warns before it', run: () => actions.setExpiry(view), disabled: busy });
  if (can.keepAlive && signedIn && primary !== renew && primary !== tryAgain) more.push(renew);
  if (can.regenerate && signedIn) more.push({ label: 'Regenerate CLI secret…', title: 'Harbor makes a new CLI secret; the old one stops working everywhere', run: () => actions.regenerate(name), disabled: busy });
  if (view.state !== 'valid') more.push(check);
  more.push({ label: 'Open in browser', run: () => actions.open(view.url) });
  if (signedIn) more.push({ label: 'Sign out', title: 'Removes the docker credentials and Berth’s session on this machine', run: () => actions.signOut(name), disabled: busy });
  more.push({ label: 'Remove…', run: () => actions.remove(name), disabled: busy, danger: true });
  return { primary, beside, more };
}

/** States Berth looks at again within minutes: the next pass is a re-check, not the regular renewal. */
export function rechecked(view: RegistryView): boolean {
  return view.state === 'needs-web-login' || view.state === 'offline' || view.state === 'error' || view.state === 'keychain-locked';
}
