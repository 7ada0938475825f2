import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Electron's fuse wire marker and layout (as @electron/fuses reads it): the sentinel, version 1, the length, one byte per fuse. */
const fuseSentinel = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
// Electron 45's defaults, in @electron/fuses' order: RunAsNode, CookieEncryption, NodeOptions, NodeCliInspect,
// AsarIntegrity, OnlyLoadAppFromAsar, BrowserV8Snapshot, GrantFileProtocolExtraPrivileges ('1' on, '0' off).
const defaultWire = '10110001';

/**
 * A folder electron-builder takes as `electronDist`: an `electron` that carries a real fuse wire (so the build flips it
 * as it would Electron's) and behaves as Electron does with ELECTRON_RUN_AS_NODE=1, which only the RunAsNode fuse allows.
 * Without it, it refuses, as the real binary would start the app instead.
 */
export function standInElectron(dir: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  const script = [
    '#!/bin/sh',
    '[ "$ELECTRON_RUN_AS_NODE" = 1 ] || { echo "the stand-in Electron would start the app" >&2; exit 99; }',
    // The RunAsNode fuse is the first byte after the sentinel, the version and the length; the sentinel is split here so
    // that the only whole copy in the file is the wire's.
    `"${process.execPath}" -e 'const s="${fuseSentinel.slice(0, 16)}"+"${fuseSentinel.slice(16)}"; const b=require("fs").readFileSync(process.argv[1]); process.exit(b[b.indexOf(s)+s.length+2]===49?0:98)' "$0" || { echo "RunAsNode fuse is off" >&2; exit 98; }`,
    `exec "${process.execPath}" "$@"`,
    '',
  ].join('\n');
  const wire = Buffer.concat([Buffer.from(`# ${fuseSentinel}`), Buffer.from([1, defaultWire.length]), Buffer.from(defaultWire), Buffer.from('\n')]);
  const binary = join(dir, 'electron');
  writeFileSync(binary, Buffer.concat([Buffer.from(script), wire]));
  chmodSync(binary, 0o755);
  writeFileSync(join(dir, 'version'), version);
  return dir;
}
