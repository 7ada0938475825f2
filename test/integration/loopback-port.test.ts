import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BerthError } from '../../main/errors.js';
import { listenForCallback } from '../../main/oidc/loopback.js';
import { portHolder } from '../../main/oidc/port-holder.js';
import { projectRoot, run } from '../helpers/berth.js';

function listening(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/** A /proc in miniature: one socket listening on `port` (inode 4242), and processes holding it, each with or without its name. */
function fakeProc(port: number, holders: { pid: number; comm?: string; fds?: boolean }[]): string {
  const proc = mkdtempSync(join(tmpdir(), 'berth-proc-'));
  mkdirSync(join(proc, 'net'));
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  writeFileSync(join(proc, 'net', 'tcp'), `${header}   0: 0100007F:${hexPort} 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n`);
  writeFileSync(join(proc, 'net', 'tcp6'), header);
  for (const { pid, comm, fds = true } of holders) {
    mkdirSync(join(proc, String(pid)));
    if (fds) {
      mkdirSync(join(proc, String(pid), 'fd'));
      symlinkSync('/dev/null', join(proc, String(pid), 'fd', '0'));
      symlinkSync('socket:[4242]', join(proc, String(pid), 'fd', '3'));
    }
    if (comm !== undefined) writeFileSync(join(proc, String(pid), 'comm'), `${comm}\n`);
  }
  return proc;
}

describe('the loopback port of a sign-in', { skip: process.platform === 'linux' ? false : 'reads Linux /proc' }, () => {
  test('a port in use names the process that holds it', async () => {
    const { server, port } = await listening();
    try {
      assert.equal(portHolder(port), `node (pid ${process.pid})`);
      await assert.rejects(listenForCallback(5000, 'state', port, 'work'), (error: unknown) => {
        assert.ok(error instanceof BerthError);
        assert.equal(error.code, 'port-in-use');
        assert.equal(error.message, `The sign-in to work must receive the browser on 127.0.0.1:${port}, the port registered at the identity provider, but node (pid ${process.pid}) is using it. Close it (or another sign-in in progress) and try again.`);
        return true;
      });
    } finally {
      server.close();
    }
  });

  test('a process that ends while Berth reads its name is skipped, never thrown: the next holder is named, or none', () => {
    // pid 11 ended after its socket was found (no name left), 12 ended before its descriptors were read, 13 holds the port.
    const proc = fakeProc(8765, [{ pid: 11 }, { pid: 12, fds: false }, { pid: 13, comm: 'squatter' }]);
    assert.equal(portHolder(8765, proc), 'squatter (pid 13)');
    assert.equal(portHolder(8765, fakeProc(8765, [{ pid: 11 }, { pid: 12, fds: false }])), null, 'every holder gone: nobody to name');
    assert.equal(portHolder(8766, proc), null, 'nobody listens on that port');
    assert.equal(portHolder(8765, join(proc, 'missing')), null, 'no /proc at all');
  });

  test('a port below 1024 that the system will not give Berth names the port, the registry and the way out, instead of a raw EACCES', async () => {
    // Root may listen anywhere: take that right away from the child, as an ordinary user has it.
    const script = `import(${JSON.stringify(join(projectRoot, 'dist', 'main', 'oidc', 'loopback.js'))}).then((m) => m.listenForCallback(5000, 'state', 80, 'work')).then(
      (listener) => { listener.close(); console.log(JSON.stringify({ listened: true })); },
      (error) => console.log(JSON.stringify({ code: error.code, message: error.message })))`;
    const node = [process.execPath, '--input-type=module', '-e', script];
    const [program, ...args] = process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-net_bind_service', '--inh-caps', '-net_bind_service', ...node] : node;
    const result = await run(program as string, args, process.env);
    assert.equal(result.code, 0, result.stderr);
    const outcome = JSON.parse(result.stdout) as { code?: string; message?: string; listened?: boolean };
    assert.equal(outcome.code, 'port-unavailable', result.stdout);
    assert.equal(
      outcome.message,
      'The sign-in to work must receive the browser on 127.0.0.1:80, the port registered at the identity provider, but only administrators may listen on ports below 1024. ' +
        "Ask the identity provider's administrator to register http://127.0.0.1:<port>/callback with a port of 1024 or more for Berth's client, then add work again with --loopback-port <port>.",
    );
  });
});
