import { connect, type Socket } from 'node:net';

/**
 * Just enough of the D-Bus wire protocol (little-endian, version 1) to ask the session bus a question: method calls with
 * strings, numbers, object paths, string dictionaries and variants of those; replies of any type. Berth speaks it itself
 * because the libraries that could (keytar's libsecret, Electron's tray) cannot be asked with a deadline.
 */

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

export type BusArgument =
  | { type: 's' | 'o'; value: string }
  | { type: 'u'; value: number }
  | { type: 'ao'; value: string[] }
  | { type: 'a{ss}'; value: Record<string, string> }
  | { type: 'v'; value: BusArgument };

export interface BusCall {
  destination: string;
  path: string;
  iface: string;
  member: string;
  args?: BusArgument[];
}

/**
 * A method's answer: its D-Bus error name, or its body. `values` are the body's leading simple values (booleans, numbers,
 * strings); `body` is all of it: arrays as arrays (`ay` as a Buffer), structs and dictionary entries as arrays of their fields.
 */
export interface BusReply {
  error: string | null;
  values: (boolean | number | string)[];
  body: unknown[];
}

/**
 * Why the bus gave no answer: nothing listens, it refused Berth, or it stayed silent past the deadline. `greeted` says
 * whether the bus itself had answered (its `Hello`): a silence after that is the called service's.
 */
export class BusUnavailable extends Error {
  constructor(
    readonly reason: 'unreachable' | 'refused' | 'silent',
    message: string,
    readonly greeted = false,
  ) {
    super(message);
  }
}

function align(offset: number, to: number): number {
  return Math.ceil(offset / to) * to;
}

/** Appends values at their D-Bus alignment, counting offsets from the message's start. */
class Writer {
  private readonly parts: Buffer[] = [];
  length = 0;

  constructor(private readonly start: number) {}

  pad(to: number): void {
    const padding = align(this.start + this.length, to) - (this.start + this.length);
    if (padding) this.put(Buffer.alloc(padding));
  }

  put(buffer: Buffer): void {
    this.parts.push(buffer);
    this.length += buffer.length;
  }

  uint32(value: number): void {
    this.pad(4);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(value);
    this.put(buffer);
  }

  string(value: string): void {
    const text = Buffer.from(value, 'utf8');
    this.uint32(text.length);
    this.put(Buffer.concat([text, Buffer.from([0])]));
  }

  signature(value: string): void {
    this.put(Buffer.concat([Buffer.from([value.length]), Buffer.from(value, 'latin1'), Buffer.from([0])]));
  }

  /** An array: its byte length (without the padding before the first element), then the elements `each` writes. */
  array(elementAlignment: number, each: () => void): void {
    this.pad(4);
    const length = Buffer.alloc(4);
    this.put(length);
    this.pad(elementAlignment);
    const start = this.length;
    each();
    length.writeUInt32LE(this.length - start);
  }

  argument(arg: BusArgument): void {
    switch (arg.type) {
      case 's':
      case 'o':
        return this.string(arg.value);
      case 'u':
        return this.uint32(arg.value);
      case 'ao':
        return this.array(4, () => arg.value.forEach((path) => this.string(path)));
      case 'a{ss}':
        return this.array(8, () => {
          for (const [key, value] of Object.entries(arg.value)) {
            this.pad(8);
            this.string(key);
            this.string(value);
          }
        });
      case 'v':
        this.signature(arg.value.type);
        return this.argument(arg.value);
    }
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** One message: a method call (type 1) with its arguments, or a method return (type 2) for `replySerial`, sent to `destination`. */
function encode(serial: number, message: { type: 1; call: BusCall } | { type: 2; replySerial: number; destination: string }): Buffer {
  const args = message.type === 1 ? (message.call.args ?? []) : [];
  const body = new Writer(0);
  for (const arg of args) body.argument(arg);
  const fields = new Writer(16);
  const field = (code: number, type: 'o' | 's' | 'g' | 'u', value: string | number) => {
    fields.pad(8);
    fields.put(Buffer.from([code]));
    fields.signature(type);
    if (type === 'u') fields.uint32(value as number);
    else if (type === 'g') fields.signature(value as string);
    else fields.string(value as string);
  };
  if (message.type === 1) {
    const { call } = message;
    field(1, 'o', call.path);
    field(2, 's', call.iface);
    field(3, 's', call.member);
    field(6, 's', call.destination);
    if (args.length) field(8, 'g', args.map((arg) => arg.type).join(''));
  } else {
    field(5, 'u', message.replySerial);
    field(6, 's', message.destination);
  }
  const fieldBytes = fields.bytes();
  const fixed = Buffer.alloc(16);
  fixed.write('l', 0, 'latin1');
  fixed.writeUInt8(message.type, 1);
  // A reply expects none.
  fixed.writeUInt8(message.type === 2 ? 1 : 0, 2);
  fixed.writeUInt8(1, 3);
  fixed.writeUInt32LE(body.length, 4);
  fixed.writeUInt32LE(serial, 8);
  fixed.writeUInt32LE(fieldBytes.length, 12);
  const headerPadding = Buffer.alloc(align(16 + fieldBytes.length, 8) - 16 - fieldBytes.length);
  return Buffer.concat([fixed, fieldBytes, headerPadding, body.bytes()]);
}

interface Message {
  type: number;
  little: boolean;
  serial: number;
  sender: string | undefined;
  iface: string | undefined;
  member: string | undefined;
  replySerial: number | undefined;
  errorName: string | undefined;
  signature: string;
  body: Buffer;
}

/** Reads one header field's variant value (only the types a reply's header carries). */
function readVariant(read: Reader): string | number | undefined {
  const signature = read.signature();
  if (signature === 'u') return read.uint32();
  if (signature === 's' || signature === 'o') return read.string();
  if (signature === 'g') return read.signature();
  return undefined;
}

class Reader {
  offset = 0;

  constructor(
    private readonly buffer: Buffer,
    private readonly little: boolean,
  ) {}

  align(to: number): void {
    this.offset = align(this.offset, to);
  }

  uint32(): number {
    this.align(4);
    const value = this.little ? this.buffer.readUInt32LE(this.offset) : this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  string(): string {
    const length = this.uint32();
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length + 1;
    return value;
  }

  signature(): string {
    const length = this.buffer[this.offset] as number;
    const value = this.buffer.toString('latin1', this.offset + 1, this.offset + 1 + length);
    this.offset += length + 2;
    return value;
  }

  byte(): number {
    return this.buffer[this.offset++] as number;
  }

  /** One value of the complete type at the start of `signature`; returns it and the rest of the signature. */
  value(signature: string): [unknown, string] {
    const code = signature[0];
    const rest = signature.slice(1);
    switch (code) {
      case 'y':
        return [this.byte(), rest];
      case 'b':
        return [this.uint32() !== 0, rest];
      case 'n':
      case 'q': {
        this.align(2);
        const value = code === 'n' ? (this.little ? this.buffer.readInt16LE(this.offset) : this.buffer.readInt16BE(this.offset)) : this.little ? this.buffer.readUInt16LE(this.offset) : this.buffer.readUInt16BE(this.offset);
        this.offset += 2;
        return [value, rest];
      }
      case 'i': {
        const value = this.uint32();
        return [value | 0, rest];
      }
      case 'u':
      case 'h':
        return [this.uint32(), rest];
      case 'x':
      case 't':
      case 'd': {
        this.align(8);
        const value = this.little
          ? code === 'd' ? this.buffer.readDoubleLE(this.offset) : Number(code === 'x' ? this.buffer.readBigInt64LE(this.offset) : this.buffer.readBigUInt64LE(this.offset))
          : code === 'd' ? this.buffer.readDoubleBE(this.offset) : Number(code === 'x' ? this.buffer.readBigInt64BE(this.offset) : this.buffer.readBigUInt64BE(this.offset));
        this.offset += 8;
        return [value, rest];
      }
      case 's':
      case 'o':
        return [this.string(), rest];
      case 'g':
        return [this.signature(), rest];
      case 'v': {
        const inner = this.signature();
        return [this.value(inner)[0], rest];
      }
      case '(':
      case '{': {
        this.align(8);
        const fields: unknown[] = [];
        let remaining = rest;
        while (remaining[0] !== ')' && remaining[0] !== '}') {
          const [field, after] = this.value(remaining);
          fields.push(field);
          remaining = after;
        }
        return [fields, remaining.slice(1)];
      }
      case 'a': {
        const length = this.uint32();
        const element = completeType(rest);
        this.align(alignmentOf(element));
        const end = this.offset + length;
        if (element === 'y') {
          const bytes = Buffer.from(this.buffer.subarray(this.offset, end));
          this.offset = end;
          return [bytes, rest.slice(element.length)];
        }
        const items: unknown[] = [];
        while (this.offset < end) items.push(this.value(element)[0]);
        return [items, rest.slice(element.length)];
      }
      default:
        throw new Error(`D-Bus type "${code ?? ''}" is not supported`);
    }
  }
}

/** The first complete type of a signature: `a{sv}` of `a{sv}s`, `(oayays)` of `(oayays)`. */
function completeType(signature: string): string {
  if (signature[0] === 'a') return `a${completeType(signature.slice(1))}`;
  const open = signature[0];
  if (open !== '(' && open !== '{') return signature.slice(0, 1);
  let depth = 0;
  for (let index = 0; index < signature.length; index++) {
    const char = signature[index];
    if (char === '(' || char === '{') depth += 1;
    if (char === ')' || char === '}') depth -= 1;
    if (depth === 0) return signature.slice(0, index + 1);
  }
  throw new Error(`D-Bus signature "${signature}" is not complete`);
}

function alignmentOf(type: string): number {
  const code = type[0];
  if (code === 'y' || code === 'g' || code === 'v') return 1;
  if (code === 'n' || code === 'q') return 2;
  if (code === 'x' || code === 't' || code === 'd' || code === '(' || code === '{') return 8;
  return 4;
}

/** Every value of a reply body. */
function bodyValues(message: Message): unknown[] {
  const read = new Reader(message.body, message.little);
  const values: unknown[] = [];
  let remaining = message.signature;
  while (remaining.length > 0) {
    const [value, rest] = read.value(remaining);
    values.push(value);
    remaining = rest;
  }
  return values;
}

/** Splits complete messages off the front of `buffer`. */
function messages(buffer: Buffer): { complete: Message[]; rest: Buffer } {
  const complete: Message[] = [];
  let offset = 0;
  while (buffer.length - offset >= 16) {
    const little = buffer[offset] === 0x6c;
    const bodyLength = little ? buffer.readUInt32LE(offset + 4) : buffer.readUInt32BE(offset + 4);
    const fieldsLength = little ? buffer.readUInt32LE(offset + 12) : buffer.readUInt32BE(offset + 12);
    const headerEnd = align(16 + fieldsLength, 8);
    if (buffer.length - offset < headerEnd + bodyLength) break;
    const message = buffer.subarray(offset, offset + headerEnd + bodyLength);
    const read = new Reader(message, little);
    read.offset = 16;
    const serial = little ? message.readUInt32LE(8) : message.readUInt32BE(8);
    const found: Message = { type: message[1] as number, little, serial, sender: undefined, iface: undefined, member: undefined, replySerial: undefined, errorName: undefined, signature: '', body: message.subarray(headerEnd) };
    while (read.offset < 16 + fieldsLength) {
      read.align(8);
      const code = read.byte();
      const value = readVariant(read);
      if (value === undefined) break;
      if (code === 5 && typeof value === 'number') found.replySerial = value;
      if (code === 4 && typeof value === 'string') found.errorName = value;
      if (code === 2 && typeof value === 'string') found.iface = value;
      if (code === 3 && typeof value === 'string') found.member = value;
      if (code === 7 && typeof value === 'string') found.sender = value;
      if (code === 8 && typeof value === 'string') found.signature = value;
    }
    complete.push(found);
    offset += headerEnd + bodyLength;
  }
  return { complete, rest: buffer.subarray(offset) };
}

/** The leading booleans, numbers and strings of a reply body (stops at the first other type). */
function simpleValues(message: Message): (boolean | number | string)[] {
  const values: (boolean | number | string)[] = [];
  const read = new Reader(message.body, message.little);
  for (const type of message.signature) {
    if (type === 'b') values.push(read.uint32() !== 0);
    else if (type === 'u' || type === 'i') values.push(read.uint32());
    else if (type === 's' || type === 'o') values.push(read.string());
    else break;
  }
  return values;
}

/** One connection to the session bus, authenticated and greeted (`Hello`), that answers calls until closed. */
export interface BusConnection {
  call(call: BusCall): Promise<BusReply>;
  close(): void;
}

const bus = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus' };

/**
 * Connects to the bus at `socketPath`. The connection is handed over as soon as the socket is open: authentication and
 * `Hello` are on their way, and calls made meanwhile follow them in order (one round trip for all, as sd-bus does). Every
 * step must answer within `timeoutMs`, or the connection is dropped with `BusUnavailable('silent')`; a bus that refuses
 * Berth fails every call with `BusUnavailable('refused')`.
 */
export function connectSessionBus(socketPath: string, timeoutMs: number): Promise<BusConnection> {
  return new Promise((resolveConnection, rejectConnection) => {
    const socket: Socket = connect({ path: socketPath });
    const waiting = new Map<number, { resolve(reply: BusReply): void; reject(error: Error): void; timer: NodeJS.Timeout }>();
    let serial = 0;
    let authenticated = false;
    let greeted = false;
    let received: Buffer = Buffer.alloc(0);
    let failure: BusUnavailable | undefined;

    const fail = (error: BusUnavailable) => {
      if (failure) return;
      failure = error;
      clearTimeout(connectTimer);
      socket.destroy();
      for (const { reject, timer } of waiting.values()) {
        clearTimeout(timer);
        reject(error);
      }
      waiting.clear();
      rejectConnection(error);
    };
    const silent = () =>
      greeted
        ? new BusUnavailable('silent', `no answer on the session bus within ${Math.round(timeoutMs / 1000)} s`, true)
        : new BusUnavailable('silent', `the session bus did not answer within ${Math.round(timeoutMs / 1000)} s`);

    /** Sends a call; `before` is written ahead of it in the same write (the authentication lines). */
    const call = (message: BusCall, before = ''): Promise<BusReply> => {
      if (failure) return Promise.reject(failure);
      serial += 1;
      const id = serial;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => fail(silent()), timeoutMs);
        waiting.set(id, { resolve, reject, timer });
        const encoded = encode(id, { type: 1, call: message });
        socket.write(before ? Buffer.concat([Buffer.from(before, 'latin1'), encoded]) : encoded);
      });
    };
    const connection: BusConnection = { call: (message) => call(message), close: () => void socket.destroy() };

    // A socket that neither connects nor fails (a stuck bus at the far end of a forwarded socket) is silent too.
    const connectTimer = setTimeout(() => fail(silent()), timeoutMs);
    socket.on('connect', () => {
      clearTimeout(connectTimer);
      const uid = String(process.getuid?.() ?? 0);
      // Authentication, BEGIN and Hello in one write; the bus answers Hello before it passes on any later call.
      call({ ...bus, member: 'Hello' }, `\0AUTH EXTERNAL ${Buffer.from(uid).toString('hex')}\r\nBEGIN\r\n`).then(
        (reply) => (reply.error === null ? (greeted = true) : fail(new BusUnavailable('refused', `the session bus refused Berth (${reply.error})`))),
        () => undefined,
      );
      resolveConnection(connection);
    });
    socket.on('error', (error) => fail(new BusUnavailable('unreachable', `the session bus at ${socketPath.replace(/\0/g, '@')} refused the connection (${error.message})`)));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!authenticated) {
        const end = received.indexOf('\r\n');
        if (end < 0) return;
        if (!received.subarray(0, end).toString('latin1').startsWith('OK')) return fail(new BusUnavailable('refused', 'the session bus refused Berth'));
        authenticated = true;
        // The messages the bus sent after its OK may have come in the same read.
        received = received.subarray(end + 2);
      }
      const { complete, rest } = messages(received);
      received = rest;
      for (const message of complete) {
        // Every D-Bus connection answers the Peer interface's Ping, as libdbus and GDBus do for theirs.
        if (message.type === 1 && message.iface === 'org.freedesktop.DBus.Peer' && message.member === 'Ping' && message.sender) {
          serial += 1;
          socket.write(encode(serial, { type: 2, replySerial: message.serial, destination: message.sender }));
          continue;
        }
        if ((message.type !== 2 && message.type !== 3) || message.replySerial === undefined) continue;
        const pending = waiting.get(message.replySerial);
        if (!pending) continue;
        waiting.delete(message.replySerial);
        clearTimeout(pending.timer);
        if (message.type === 3) {
          pending.resolve({ error: message.errorName ?? 'org.freedesktop.DBus.Error.Failed', values: [], body: [] });
          continue;
        }
        try {
          pending.resolve({ error: null, values: simpleValues(message), body: bodyValues(message) });
        } catch (error) {
          pending.reject(error as Error);
        }
      }
    });
  });
}

/** Does anyone own `name` on the bus? (`org.freedesktop.DBus.NameHasOwner`) */
export async function nameHasOwner(connection: BusConnection, name: string): Promise<boolean> {
  const reply = await connection.call({ ...bus, member: 'NameHasOwner', args: [{ type: 's', value: name }] });
  return reply.error === null && reply.values[0] === true;
}
