import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import decodeQR from 'qr/decode.js';
import { CookieJar, drive } from '../rig/browser-driver.js';
import { unless } from '../rig/components.js';
import { startRig, type Rig } from '../rig/index.js';
import { useRig } from '../helpers/rig.js';
import { onTerminal } from '../helpers/terminal.js';
import { addArgs, assertNoSecretsLeaked, berthBin, dockerInspect, storedStatus, uniqueName, waitFor, workspace, type Run, type Workspace } from '../helpers/berth.js';

/** The environment of an SSH session or a server: no display, no BROWSER, nothing that could open a browser here. */
function headless(ws: Workspace): NodeJS.ProcessEnv {
  const { DISPLAY: _display, WAYLAND_DISPLAY: _wayland, BROWSER: _browser, SSH_CONNECTION: _ssh, SSH_TTY: _tty, ...env } = ws.env;
  return env;
}

/** `berth login` running in the background: what it printed so far, and how it ended. */
function startLogin(ws: Workspace, env: NodeJS.ProcessEnv, ...args: string[]): { stderr: () => string; done: Promise<Run> } {
  const child = spawn(process.execPath, [berthBin, 'login', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<Run>((resolve) =>
    child.once('exit', (code) => {
      ws.outputs.push(stdout, stderr);
      resolve({ code: code ?? 1, stdout, stderr });
    }),
  );
  return { stderr: () => stderr, done };
}

/** Block characters as a terminal shows them (█ light both halves, ▀ light top, ▄ light bottom), as an RGBA image, 4 pixels a module. */
function bitmap(lines: string[]): { width: number; height: number; data: Uint8Array } {
  const scale = 4;
  const columns = Math.max(...lines.map((line) => [...line].length));
  const width = columns * scale;
  const height = lines.length * 2 * scale;
  const data = new Uint8Array(width * height * 4);
  [...lines].forEach((line, row) => {
    [...line.padEnd(columns, '█')].forEach((char, column) => {
      const halves = [char === '█' || char === '▀', char === '█' || char === '▄'];
      halves.forEach((light, half) => {
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const at = (((row * 2 + half) * scale + dy) * width + column * scale + dx) * 4;
            data.fill(light ? 255 : 0, at, at + 3);
            data[at + 3] = 255;
          }
        }
      });
    });
  });
  return { width, height, data };
}

/** The verification URL and code Berth printed, once it has. */
async function shownCode(login: { stderr: () => string }): Promise<{ uri: string; code: string; complete: string | undefined }> {
  await waitFor('Berth shows the verification URL and code', () => /Waiting for the sign-in…/.test(login.stderr()), 30_000);
  const text = login.stderr();
  return {
    uri: /open this page on any device with a browser:\n {2}(\S+)/.exec(text)?.[1] as string,
    code: /and enter the code: {2}(\S+)/.exec(text)?.[1] as string,
    complete: /\(or open (\S+), which has the code filled in/.exec(text)?.[1],
  };
}

describe('device sign-in (RFC 8628) for Berth’s own client: SSH, WSL and servers', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  const rig = useRig({ deviceFlow: true }, 'alice');

  test('berth login --device: the URL and code, polling at the provider’s pace (slowing down when told), then the CLI secret and docker credentials as after a browser sign-in', async () => {
    const ws = workspace();
    const name = uniqueName('dev');
    assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
    const polls = rig().idp.devicePolls.length;
    rig().idp.slowDowns = 1;
    const login = startLogin(ws, ws.env, name, '--device');
    const shown = await shownCode(login);
    assert.equal(new URL(shown.uri).origin, rig().idp.issuer, 'the provider’s own verification page');
    assert.match(login.stderr(), /The code expires \d{4}-\d\d-\d\d \d\d:\d\d \(in (9|10) minutes\)\. Waiting for the sign-in…/);
    assert.ok(shown.complete?.includes(encodeURIComponent(shown.code)) || shown.complete?.includes(shown.code), 'a link with the code filled in');
    // The first poll is told to slow down; the person signs in meanwhile, on "another device" (a cookie jar of its own).
    await waitFor('the first poll', () => rig().idp.devicePolls.length > polls, 30_000);
    const page = await drive(shown.uri, { userCode: shown.code, login: 'alice', jar: new CookieJar() });
    assert.match(page.body, /Sign-in Success/, page.body.slice(0, 300));
    const result = await login.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`Signed in to ${name} as alice; docker credentials for 127\\.0\\.0\\.1:\\d+ are in place\\.`));
    const mine = rig().idp.devicePolls.slice(polls);
    assert.ok(mine.length >= 2);
    assert.ok((mine[1] as number) - (mine[0] as number) >= 9_500, `after slow_down the next poll waited the interval plus 5 s (${(mine[1] as number) - (mine[0] as number)} ms)`);
    assert.equal(storedStatus(ws, name).state, 'valid');
    assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0, 'docker reads the image');
    assert.equal((await ws.berth('refresh', name)).code, 0, 'Berth’s own session (offline access) renews like a browser sign-in’s');
    assertNoSecretsLeaked(rig(), ws);
  });

  test('where no browser can open (no display, or an SSH session) berth login chooses the device sign-in by itself; so it does when the opener fails', async () => {
    for (const [what, extra] of [
      ['no display', {}],
      ['an SSH session', { DISPLAY: ':0', SSH_CONNECTION: '192.0.2.7 50000 192.0.2.1 22' }],
      ['an opener that fails', { DISPLAY: ':0', PATH: mkdtempSync(join(tmpdir(), 'berth-no-xdg-open-')) }],
    ] as const) {
      const ws = workspace();
      const name = uniqueName('auto');
      assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
      const login = startLogin(ws, { ...headless(ws), ...extra }, name, '--timeout', '60');
      const shown = await shownCode(login);
      await drive(shown.uri, { userCode: shown.code, login: 'alice', jar: new CookieJar() });
      const result = await login.done;
      assert.equal(result.code, 0, `${what}: ${result.stderr}`);
      const why = what === 'no display' ? /No browser can open here \(no DISPLAY, WAYLAND_DISPLAY or BROWSER is set\): signing in to/ : what === 'an SSH session' ? /This is an SSH session \(SSH_CONNECTION is set\), so a browser would open on this machine, not yours: signing in to/ : /The browser did not open: signing in to/;
      assert.match(result.stderr, why, what);
      assert.equal((await dockerInspect(ws, rig().imageRef)).code, 0, `${what}: docker reads the image`);
    }
  });

  test('on a terminal the URL with the code comes as a QR code too, which a phone (here: a QR decoder) reads as that URL', { skip: unless('tmux') }, async () => {
    const ws = workspace();
    const name = uniqueName('qr');
    assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
    const terminal = await onTerminal([process.execPath, berthBin, 'login', name, '--device'], ws.env, { columns: 100 });
    try {
      const screen = await terminal.waitFor(/Waiting for the sign-in…/);
      const complete = /\(or open (\S+), which has the code filled in; or scan it:\)/.exec(screen)?.[1];
      assert.ok(complete, screen);
      const art = screen.split('\n').filter((line) => /^[█▀▄ ]+$/.test(line) && line.includes('█'));
      assert.ok(art.length > 10, `a QR code of block characters:\n${screen}`);
      assert.equal(decodeQR(bitmap(art)), complete, 'the QR code holds the verification URL with the code');
      const code = /and enter the code: {2}(\S+)/.exec(screen)?.[1] as string;
      const uri = /open this page on any device with a browser:\n {2}(\S+)/.exec(screen)?.[1] as string;
      const page = await drive(uri, { userCode: code, login: 'alice', jar: new CookieJar() });
      assert.match(page.body, /Sign-in Success/, page.body.slice(0, 300));
      await terminal.waitFor(/\[exit 0\]/);
    } finally {
      await terminal.stop();
    }
  });

  test('refused on the verification page: access_denied, said as such, nothing stored', async () => {
    const ws = workspace();
    const name = uniqueName('deny');
    assert.equal((await ws.berth(...addArgs(rig(), name))).code, 0);
    const login = startLogin(ws, ws.env, name, '--device');
    const shown = await shownCode(login);
    await drive(shown.uri, { userCode: shown.code, login: 'alice', jar: new CookieJar(), deny: true });
    const result = await login.done;
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`The sign-in to ${name} was refused at the identity provider \\(access_denied\\)`));
    assert.equal(storedStatus(ws, name).signedInAt, undefined, 'nothing stored');
  });
});

describe('device sign-in where the provider or the client does not allow it', { skip: unless('docker-registry', 'docker', 'openssl', 'keyring') }, () => {
  test('no device endpoint, a client without the grant, and a code that expired: each says what happened and what fixes it', async () => {
    const rigs: Rig[] = await Promise.all([startRig(), startRig({ deviceFlow: true, berthClient: { grant_types: ['authorization_code', 'refresh_token'] } }), startRig({ deviceFlow: true, provider: { deviceCodeTtl: 2 } })]);
    const [plain, noGrant, shortCodes] = rigs as [Rig, Rig, Rig];
    try {
      const ws = workspace();
      const name = uniqueName('off');
      assert.equal((await ws.berth(...addArgs(plain, name))).code, 0);
      const asked = await ws.berth('login', name, '--device');
      assert.equal(asked.code, 1);
      assert.match(asked.stderr, /The identity provider at 127\.0\.0\.1:\d+ offers no device sign-in \(its discovery document has no device_authorization_endpoint\)\. The identity provider's administrator must enable the OAuth 2\.0 device authorization grant \(RFC 8628\) for Berth's client "berth"/);
      assert.match(asked.stderr, new RegExp(`sign in through Harbor's web login, which needs no browser here: \`berth remove ${name}\`, then add it again without --client-id`));
      const chosen = await startLogin(ws, headless(ws), name).done;
      assert.equal(chosen.code, 1);
      assert.match(chosen.stderr, /No browser can open here \(no DISPLAY, WAYLAND_DISPLAY or BROWSER is set\), and the identity provider at 127\.0\.0\.1:\d+ offers no device sign-in .* must enable the OAuth 2\.0 device authorization grant/);

      const other = workspace();
      const blocked = uniqueName('grant');
      assert.equal((await other.berth(...addArgs(noGrant, blocked))).code, 0);
      const refused = await other.berth('login', blocked, '--device');
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /does not allow the device sign-in for the client "berth" \(invalid_request: urn:ietf:params:oauth:grant-type:device_code is not allowed for this client\)\. The identity provider's administrator must enable the OAuth 2\.0 device authorization grant/);

      const late = workspace();
      const slow = uniqueName('late');
      assert.equal((await late.berth(...addArgs(shortCodes, slow))).code, 0);
      const expired = await late.berth('login', slow, '--device');
      assert.equal(expired.code, 1);
      assert.match(expired.stderr, new RegExp(`The code \\S+ for ${slow} expired before the sign-in was finished at http://127\\.0\\.0\\.1:\\d+/device\\. Run \`berth login ${slow}\` again for a new code\\.`));
    } finally {
      await Promise.all(rigs.map((one) => one.stop()));
    }
  });
});
