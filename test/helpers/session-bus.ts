import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectSessionBus, sessionBusSocket } from '../../main/dbus/session-bus.js';
import { stopChild } from '../rig/child-process.js';

export interface SessionBus {
  address: string;
  stop(): Promise<void>;
}

/** A D-Bus session bus with no keyring daemon running and none to start on demand: what a stopped gnome-keyring looks like. */
export async function busWithoutKeyring(): Promise<SessionBus> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bus-'));
  const config = join(dir, 'bus.conf');
  writeFileSync(
    config,
    [
      '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">',
      '<busconfig>',
      '  <type>session</type>',
      `  <listen>unix:dir=${dir}</listen>`,
      '  <auth>EXTERNAL</auth>',
      '  <policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>',
      '</busconfig>',
      '',
    ].join('\n'),
  );
  const child = spawn('dbus-daemon', [`--config-file=${config}`, '--print-address=1', '--nofork'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('\n')) resolve(output.split('\n')[0] as string);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
  });
  return {
    address,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A "session bus" that accepts connections and never says a word: what a hung D-Bus looks like to libsecret. */
export async function silentBus(): Promise<SessionBus> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-silent-bus-'));
  const path = join(dir, 'bus');
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined).on('error', () => undefined).on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    address: `unix:path=${path}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface KeyringBus extends SessionBus {
  /** The environment that points keytar (and Berth) at this bus. */
  env: NodeJS.ProcessEnv;
  /** Locks the login keyring, as a screen lock or a timeout does. */
  lock(): Promise<void>;
  /** Unlocks it with its password, as logging in does. */
  unlock(): Promise<void>;
  /** Whether the keyring daemon is still running (it has not crashed). */
  running(): boolean;
}

const keyringPassword = 'berth-test';

function gdbus(address: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('gdbus', ['call', '--session', '--dest', 'org.freedesktop.secrets', ...args], { env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address } }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

/** A private session bus with its own unlocked gnome-keyring, so a test may lock it without touching any other test's keychain. */
export async function busWithKeyring(): Promise<KeyringBus> {
  const bus = await busWithoutKeyring();
  const home = mkdtempSync(join(tmpdir(), 'berth-keyring-home-'));
  mkdirSync(join(home, '.local', 'share'), { recursive: true });
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus.address, HOME: home, XDG_DATA_HOME: join(home, '.local', 'share'), XDG_RUNTIME_DIR: home };
  let daemon: ChildProcess | undefined;
  const start = async () => {
    daemon = spawn('gnome-keyring-daemon', ['--foreground', '--replace', '--unlock', '--components=secrets'], { env, stdio: ['pipe', 'ignore', 'ignore'] });
    daemon.stdin?.end(keyringPassword);
    // Ready once the Secret Service answers on the bus.
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await gdbus(bus.address, '--object-path', '/org/freedesktop/secrets', '--method', 'org.freedesktop.DBus.Peer.Ping').then(() => true, () => false)) return;
      await sleep(50);
    }
    throw new Error('gnome-keyring-daemon did not come up on the private bus');
  };
  await start();
  return {
    address: bus.address,
    env,
    lock: async () => {
      await gdbus(bus.address, '--object-path', '/org/freedesktop/secrets', '--method', 'org.freedesktop.Secret.Service.Lock', "['/org/freedesktop/secrets/collection/login']");
    },
    unlock: async () => {
      if (daemon) await stopChild(daemon);
      await start();
    },
    running: () => daemon?.exitCode === null && daemon.signalCode === null,
    stop: async () => {
      if (daemon) await stopChild(daemon);
      await bus.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Takes `name` on the bus at `address` (as a tray host takes org.kde.StatusNotifierWatcher) until `release`. */
export async function holdBusName(address: string, name: string): Promise<{ release(): void }> {
  const connection = await connectSessionBus(sessionBusSocket(address) as string, 5_000);
  // RequestName with DBUS_NAME_FLAG_DO_NOT_QUEUE; 1 is "now the primary owner".
  const reply = await connection.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus', member: 'RequestName', args: [{ type: 's', value: name }, { type: 'u', value: 4 }] });
  if (reply.error !== null || reply.values[0] !== 1) throw new Error(`could not take ${name} on the test bus: ${reply.error ?? String(reply.values[0])}`);
  return { release: () => connection.close() };
}
