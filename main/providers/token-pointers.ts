import { hostname } from 'node:os';
import { robotPrefix } from '../harbor/robot-expiry.js';
import type { RegistryKind, TokenPointer } from '../settings/model.js';

interface KnownRegistry {
  /** Matches the registry host, the user name, or both. */
  matches(registry: { host: string; username: string | undefined; kind: RegistryKind }): boolean;
  pointer(registry: { url: string; name: string }): TokenPointer;
  /** The registry asks for one token per machine, described so colleagues can tell them apart (and revoke one). */
  perMachine?: boolean;
}

const replaceHint = (name: string) => `then \`berth replace ${name}\` (or Replace token… in Berth's window)`;

/**
 * Where people get a new token, per registry: the vendors' own documentation says where (Harness: "Set up client" and
 * the API keys page; Thinkwise: "TCP > Software > Thinkwise containers", one token per machine with a description;
 * Harbor: the project's Robot Accounts; STACKIT: service account keys in its portal). The first match wins.
 */
const known: KnownRegistry[] = [
  {
    matches: ({ kind }) => kind === 'stackit',
    pointer: ({ name }) => ({
      where: `In the STACKIT portal: your project → Service Accounts → this service account → Service Account Keys: create a new key, then \`berth replace ${name} --key-file <new key file>\`.`,
      url: 'https://portal.stackit.cloud/',
    }),
  },
  {
    matches: ({ host }) => host === 'pkg.harness.io' || host.endsWith('.harness.io'),
    pointer: ({ name }) => ({
      where: `In Harness: the registry's "Set up client" makes a new token, or your profile → Account Settings → API keys for a longer-lived one; ${replaceHint(name)}.`,
      url: 'https://app.harness.io/',
    }),
  },
  {
    matches: ({ host }) => host === 'registry.thinkwisesoftware.com',
    pointer: ({ name }) => ({
      where: `In the Thinkwise Community Portal (TCP): Software → Thinkwise containers → Request token, with a description for this machine; ${replaceHint(name)}.`,
      url: 'https://tcp.thinkwisesoftware.com/',
    }),
    perMachine: true,
  },
  {
    matches: ({ username }) => username?.startsWith(robotPrefix) === true,
    pointer: ({ url, name }) => ({
      where: `In Harbor: the project → Robot Accounts → this robot → Refresh Secret (or a new robot account); ${replaceHint(name)}.`,
      url: new URL('/harbor/projects', url).href,
    }),
  },
];

function generic(name: string): TokenPointer {
  return { where: `Make a new token where you got this one (the registry's web page: your profile, access tokens or API keys); ${replaceHint(name)}.` };
}

export interface PointerQuery {
  name: string;
  url: string;
  kind: RegistryKind;
  username?: string | undefined;
  /** A registry profile's own pointer wins over the table. */
  pointer?: TokenPointer | undefined;
}

/** Where to get a new token for this registry. */
export function tokenPointer(query: PointerQuery): TokenPointer {
  if (query.pointer) return query.pointer;
  const host = new URL(query.url).host.toLowerCase();
  return known.find((entry) => entry.matches({ host, username: query.username, kind: query.kind }))?.pointer(query) ?? generic(query.name);
}

/** Whether the registry wants one token per machine. */
export function oneTokenPerMachine(url: string): boolean {
  const host = new URL(url).host.toLowerCase();
  return known.some((entry) => entry.perMachine === true && entry.matches({ host, username: undefined, kind: 'token' }));
}

/** A description for this machine's token: `<hostname>, added by Berth <date>`. */
export function suggestedNote(now: Date): string {
  return `${hostname()}, added by Berth ${now.toISOString().slice(0, 10)}`;
}
