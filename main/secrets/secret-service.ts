import { BusUnavailable, connectSessionBus, type BusCall, type BusConnection, type BusReply } from '../dbus/session-bus.js';

const service = { destination: 'org.freedesktop.secrets', path: '/org/freedesktop/secrets', iface: 'org.freedesktop.Secret.Service' };
// The schema keytar stores under (through libsecret), which libsecret adds to every item's attributes and every search.
const keytarSchema = 'org.freedesktop.Secret.Generic';

/** What the Secret Service holds for one of the accounts asked for: the first one found, in the order asked. */
export interface FoundSecret {
  account: string;
  value: string;
}

/**
 * Why no secret came back: no Secret Service on the bus, the item is locked, the bus (`silent-bus`) or the service
 * (`silent-service`, e.g. waiting on an unlock prompt) gave no answer in time, the bus could not be reached, or the
 * service refused a call (`detail` names its error).
 */
export class SecretServiceFailure extends Error {
  constructor(
    readonly reason: 'no-service' | 'locked' | 'silent-bus' | 'silent-service' | 'unreachable' | 'refused',
    readonly detail = '',
  ) {
    super(`${reason}${detail ? `: ${detail}` : ''}`);
  }
}

function answer(reply: BusReply): unknown[] {
  if (reply.error === null) return reply.body;
  if (reply.error === 'org.freedesktop.DBus.Error.ServiceUnknown' || reply.error === 'org.freedesktop.DBus.Error.NameHasNoOwner') throw new SecretServiceFailure('no-service');
  if (reply.error === 'org.freedesktop.Secret.Error.IsLocked') throw new SecretServiceFailure('locked');
  throw new SecretServiceFailure('refused', reply.error);
}

/**
 * Reads a keytar entry straight from the Secret Service over Berth's own connection to the session bus, every call within
 * `timeoutMs`: what docker waits for on each pull, without loading keytar (libsecret and GLib take longer to start than
 * the rest of the credential helper) and without a call that cannot be abandoned. A matching item in a locked collection
 * is `keychain-locked`; none at all is `null`.
 */
export async function readKeytarEntry(socketPath: string, timeoutMs: number, serviceName: string, accounts: string[]): Promise<FoundSecret | null> {
  return withSecretService(socketPath, timeoutMs, async (ask) => {
    const search = () => Promise.all(accounts.map((account) => ask('SearchItems', [{ type: 'a{ss}', value: { service: serviceName, account, 'xdg:schema': keytarSchema } }])));
    let session: string | undefined;
    /** The first account's secret; `null` for none; `undefined` when its item went between the search and the read. */
    const readFirst = async (found: unknown[][]): Promise<FoundSecret | null | undefined> => {
      for (const [index, account] of accounts.entries()) {
        const [unlocked, locked] = found[index] as [string[], string[]];
        const [item] = unlocked;
        if (item === undefined) {
          if (locked.length > 0) throw new SecretServiceFailure('locked');
          continue;
        }
        // Never a client's first message: gnome-keyring (42–50) aborts on an OpenSession it gets before it has admitted the client.
        session ??= (await ask('OpenSession', [{ type: 's', value: 'plain' }, { type: 'v', value: { type: 's', value: '' } }]))[1] as string;
        const [secrets] = (await ask('GetSecrets', [{ type: 'ao', value: [item] }, { type: 'o', value: session }])) as [[string, [string, Buffer, Buffer, string]][]];
        const value = secrets.find(([path]) => path === item)?.[1][2];
        return value === undefined ? undefined : { account, value: value.toString('utf8') };
      }
      return null;
    };
    // An item deleted between the search and the read (another process replacing it) is looked up again, up to three times.
    let found = await firstMessage(search);
    for (let attempt = 1; ; attempt++) {
      const read = await readFirst(found);
      if (read !== undefined || attempt === 3) return read ?? null;
      found = await search();
    }
  });
}

/**
 * The accounts of every keytar entry of `serviceName`, locked ones too, read from the items' attributes without any
 * secret: keytar's findCredentials crashes the process (libsecret hands it no value) when an entry goes while it reads.
 */
export async function keytarAccounts(socketPath: string, timeoutMs: number, serviceName: string): Promise<string[]> {
  return withSecretService(socketPath, timeoutMs, async (ask, connection) => {
    const [unlocked, locked] = (await firstMessage(() => ask('SearchItems', [{ type: 'a{ss}', value: { service: serviceName, 'xdg:schema': keytarSchema } }]))) as [string[], string[]];
    const attributes = await Promise.all(
      [...unlocked, ...locked].map((path) =>
        connection.call({ destination: service.destination, path, iface: 'org.freedesktop.DBus.Properties', member: 'Get', args: [{ type: 's', value: 'org.freedesktop.Secret.Item' }, { type: 's', value: 'Attributes' }] }),
      ),
    );
    // An item deleted since the search answers with an error: it is no longer there to list.
    return attributes.flatMap((reply) => (reply.error === null ? (reply.body[0] as [string, string][]).filter(([key]) => key === 'account').map(([, account]) => account) : []));
  });
}

type Ask = (member: string, args: NonNullable<BusCall['args']>) => Promise<unknown[]>;

/** Calls on the Secret Service over a connection of their own, with the bus's and the service's failures told apart. */
async function withSecretService<T>(socketPath: string, timeoutMs: number, work: (ask: Ask, connection: BusConnection) => Promise<T>): Promise<T> {
  let connection: BusConnection | undefined;
  try {
    connection = await connectSessionBus(socketPath, timeoutMs);
  } catch (error) {
    if (!(error instanceof BusUnavailable)) throw error;
    throw new SecretServiceFailure(error.reason === 'silent' ? 'silent-bus' : 'unreachable', error.message);
  }
  const opened = connection;
  try {
    return await work(async (member, args) => answer(await opened.call({ ...service, member, args })), opened);
  } catch (error) {
    if (!(error instanceof BusUnavailable)) throw error;
    // The bus answers its greeting before any call: a silence before that is the bus's, after it the Secret Service's.
    throw new SecretServiceFailure(error.reason === 'silent' ? (error.greeted ? 'silent-service' : 'silent-bus') : 'unreachable', error.message);
  } finally {
    opened.close();
  }
}

/** A new connection's first call: gnome-keyring admits a client only after its first message, and may answer that one with UnknownMethod, so it is asked again once. */
function firstMessage<T>(call: () => Promise<T>): Promise<T> {
  return call().catch((error: unknown) => {
    if (error instanceof SecretServiceFailure && error.detail === 'org.freedesktop.DBus.Error.UnknownMethod') return call();
    throw error;
  });
}
