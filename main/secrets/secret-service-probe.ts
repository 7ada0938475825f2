import { connect, type Socket } from 'node:net';
import { BerthError } from '../errors.js';

/** Where the session bus listens, from `DBUS_SESSION_BUS_ADDRESS` (`unix:path=…` or `unix:abstract=…`); undefined for anything else. */
export function sessionBusSocket(address: string | undefined): string | undefined {
  for (const candidate of (address ?? '').split(';')) {
    const [transport, rest = ''] = candidate.split(':', 2) as [string, string?];
    if (transport !== 'unix') continue;
    const params = new URLSearchParams(rest.replace(/,/g, '&'));
    const path = params.get('path');
    if (path) return path;
    const abstract = params.get('abstract');
    if (abstract) return `\0${abstract}`;
  }
  return undefined;
}

function align(offset: number, to: number): number {
  return Math.ceil(offset / to) * to;
}

/** A D-Bus method call without arguments (little-endian, protocol version 1). */
function methodCall(serial: number, fields: { path: string; iface: string; member: string; destination: string }): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  const put = (buffer: Buffer) => {
    parts.push(buffer);
    length += buffer.length;
  };
  const pad = (to: number) => {
    const padding = align(16 + length, to) - (16 + length);
    if (padding) put(Buffer.alloc(padding));
  };
  const field = (code: number, signature: string, value: string) => {
    pad(8);
    const text = Buffer.from(value, 'utf8');
    const header = Buffer.from([code, 1, signature.charCodeAt(0), 0]);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(text.length);
    put(Buffer.concat([header, size, text, Buffer.from([0])]));
  };
  field(1, 'o', fields.path);
  field(2, 's', fields.iface);
  field(3, 's', fields.member);
  field(6, 's', fields.destination);
  const fieldBytes = Buffer.concat(parts);
  const fixed = Buffer.alloc(16);
  fixed.write('l', 0, 'latin1');
  fixed.writeUInt8(1, 1);
  fixed.writeUInt8(0, 2);
  fixed.writeUInt8(1, 3);
  fixed.writeUInt32LE(0, 4);
  fixed.writeUInt32LE(serial, 8);
  fixed.writeUInt32LE(fieldBytes.length, 12);
  return Buffer.concat([fixed, fieldBytes, Buffer.alloc(align(16 + fieldBytes.length, 8) - 16 - fieldBytes.length)]);
}

/** Splits complete messages off the front of `buffer`; returns their types (2 return, 3 error, 4 signal) and the rest. */
function messages(buffer: Buffer): { types: number[]; rest: Buffer } {
  const types: number[] = [];
  let offset = 0;
  while (buffer.length - offset >= 16) {
    const little = buffer[offset] === 0x6c;
    const bodyLength = little ? buffer.readUInt32LE(offset + 4) : buffer.readUInt32BE(offset + 4);
    const fieldsLength = little ? buffer.readUInt32LE(offset + 12) : buffer.readUInt32BE(offset + 12);
    const total = align(16 + fieldsLength, 8) + bodyLength;
    if (buffer.length - offset < total) break;
    types.push(buffer[offset + 1] as number);
    offset += total;
  }
  return { types, rest: buffer.subarray(offset) };
}

const bus = { path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus', member: 'Hello', destination: 'org.freedesktop.DBus' };
const ping = { path: '/org/freedesktop/secrets', iface: 'org.freedesktop.DBus.Peer', member: 'Ping', destination: 'org.freedesktop.secrets' };

/**
 * Asks the session bus whether a Secret Service answers, within `timeoutMs`. keytar's calls cannot be abandoned: one that
 * hangs on a silent bus keeps a worker thread that even process exit waits for. So Berth asks first, over its own socket.
 */
export function checkSecretService(socketPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ path: socketPath });
    let phase: 'auth' | 'calls' = 'auth';
    let received: Buffer = Buffer.alloc(0);
    let replies = 0;
    const fail = (message: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new BerthError('keychain-locked', message));
    };
    const timer = setTimeout(() => fail(`The OS keychain did not answer within ${Math.round(timeoutMs / 1000)} s (the session bus or its Secret Service is not answering).`), timeoutMs);
    socket.on('connect', () => {
      const uid = String(process.getuid?.() ?? 0);
      socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\n`);
    });
    socket.on('error', (error) => fail(`The OS keychain cannot be reached: the session bus at ${socketPath.replace(/\0/g, '@')} refused the connection (${error.message}).`));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (phase === 'auth') {
        const line = received.toString('latin1');
        if (!line.includes('\r\n')) return;
        if (!line.startsWith('OK')) return fail('The OS keychain cannot be reached: the session bus refused Berth.');
        phase = 'calls';
        received = Buffer.alloc(0);
        socket.write(Buffer.concat([Buffer.from('BEGIN\r\n'), methodCall(1, bus), methodCall(2, ping)]));
        return;
      }
      const { types, rest } = messages(received);
      received = rest;
      for (const type of types) {
        if (type !== 2 && type !== 3) continue;
        replies += 1;
        if (replies < 2) continue;
        clearTimeout(timer);
        socket.destroy();
        if (type === 2) resolve();
        else reject(new BerthError('keychain', 'No Secret Service (org.freedesktop.secrets) is running on the session bus: start gnome-keyring, or KeePassXC with its Secret Service on.'));
        return;
      }
    });
  });
}
