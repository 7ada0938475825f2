import { request } from 'node:http';
import { sessionBusSocket } from '../main/dbus/session-bus.js';
import { readKeytarEntry } from '../main/secrets/secret-service.js';

// What a CLI command's own I/O costs on Node with nothing else: no settings, no stdin, no loader, no code cache. The
// benches bundle this file to one CommonJS file and time it beside the command, so a ratio to `node -e 0` shows how much
// of it no start-up work can remove.
//   keychain <account>                          one keychain read over Berth's D-Bus client (docker-credential-berth get)
//   check <secret account> <tokens account> <manifest URL>
//                                               the two keychain reads of `berth check`, then one HEAD with the remembered token
const [mode, ...args] = process.argv.slice(2);
const bus = sessionBusSocket(process.env.DBUS_SESSION_BUS_ADDRESS);
if (!bus) throw new Error('no session bus');
// As docker and `berth check` ask: without it the registry would try to convert the manifest to schema 1.
const accept = ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');
const read = async (account: string) => (await readKeytarEntry(bus, 10_000, 'Berth', [account]))?.value;

async function keychain([account = '']: string[]): Promise<boolean> {
  return (await read(account)) !== undefined;
}

async function check([secretAccount = '', tokensAccount = '', manifest = '']: string[]): Promise<boolean> {
  const [secret, saved] = await Promise.all([read(secretAccount), read(tokensAccount)]);
  const token = Object.values((JSON.parse(saved ?? '{}') as { tokens?: Record<string, { token: string }> }).tokens ?? {})[0]?.token;
  if (!secret || !token) return false;
  return new Promise((resolve, reject) =>
    request(manifest, { method: 'HEAD', headers: { accept, authorization: `Bearer ${token}` } }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    })
      .once('error', reject)
      .end(),
  );
}

// A floor that read nothing would time a miss: it fails the bench instead.
(mode === 'check' ? check(args) : keychain(args)).then((done) => process.exit(done ? 0 : 1));
