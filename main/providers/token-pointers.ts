import { hostname } from 'node:os';
import { robotPrefix } from '../harbor/robot-expiry.js';
import type { RegistryKind, TokenPointer } from '../settings/model.js';

interface KnownRegistry {
  /** Matches the registry host, the user name, or both. */
  matches(registry: { host: string; username: string | undefined; kind: RegistryKind }): boolean;
  pointer(registry: { url: string }): TokenPointer;
  /** The registry asks for one token per machine, described so colleagues can tell them apart (and revoke one). */
  perMachine?: boolean;
}

/**
 * Where people get a new token, per registry: the vendors' own documentation says where (Harness: "Set up client" and
 * the API keys page; Thinkwise: "TCP > Software > Thinkwise containers", one token per machine with a description;
 * Harbor: the project's Robot Accounts; STACKIT: service account keys in its portal). The first match wins.
 */
const known: KnownRegistry[] = [
  {
    matches: ({ kind }) => kind === 'stackit',
    pointer: () => ({
      where: 'In the STACKIT portal: your project → Service Accounts → this service account → Service Account Keys: create a new key.',
      url: 'https://portal.stackit.cloud/',
    }),
  },
  {
    matches: ({ host }) => host === 'pkg.harness.io' || host.endsWith('.harness.io'),
    pointer: () => ({
      where: 'In Harness: the registry\'s "Set up client" makes a new token, or your profile → Account Settings → API keys for a longer-lived one.',
      url: 'https://app.harness.io/',
    }),
  },
  {
    matches: ({ host }) => host === 'registry.thinkwisesoftware.com',
    pointer: () => ({
      where: 'In the Thinkwise Community Portal (TCP): Software → Thinkwise containers → Request token, with a description for this machine.',
      url: 'https://tcp.thinkwisesoftware.com/',
    }),
    perMachine: true,
  },
  {
    matches: ({ username }) => username?.startsWith(robotPrefix) === true,
    pointer: ({ url }) => ({
      where: 'In Harbor: the project → Robot Accounts → this robot → Refresh Secret (or a new robot account).',
      url: new URL('/harbor/projects', url).href,
    }),
  },
];

const generic: TokenPointer = { where: "Tokens are made on the registry's web page (your profile, access tokens or API keys)." };

/** What the person does with the new token or key once they have it. */
export function replaceHint(name: string, kind: RegistryKind): string {
  return kind === 'stackit'
    ? `Then \`berth replace ${name} --key-file <new key file>\`.`
    : `Then \`berth replace ${name}\` (or Replace token… in Berth's window).`;
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
  return known.find((entry) => entry.matches({ host, username: query.username, kind: query.kind }))?.pointer(query) ?? generic;
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
