import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
