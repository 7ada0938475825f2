import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot, run } from '../helpers/berth.js';
import { standInElectron } from '../helpers/stand-in-electron.js';

const require = createRequire(import.meta.url);
const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses') as typeof import('@electron/fuses');
// @electron/fuses' byte values for a fuse that is on or off (ASCII '1' and '0').
const FuseState = { ENABLE: 49, DISABLE: 48 } as const;
const nodePrefix = dirname(dirname(process.execPath));
const electronVersion = (JSON.parse(readFileSync(join(projectRoot, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;

/**
 * A deb maintainer script as electron-builder renders it (app-builder-lib's FpmTarget `writeConfigFile`): every
 * `${name}` replaced by its value, and a name it does not know is an error, not left in the script.
 */
function renderDebScript(template: string, macros: Record<string, string>): string {
  return template.replace(/\$\{([a-zA-Z]+)\}/g, (_match, name: string) => {
    const value = macros[name];
    if (value === undefined) throw new Error(`Macro ${name} is not defined`);
    return value;
  });
}

/**
 * electron-builder's real `--linux --dir` build, with a stand-in Electron (none can be downloaded here). It runs on a
 * copy of the project: the build rebuilds keytar in node_modules, which tests running beside it are loading.
 */
describe('the packaged app (electron-builder --dir)', () => {
  let root: string;
  let copy: string;
  let unpacked: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'berth-package-'));
    copy = join(root, 'project');
    for (const entry of ['package.json', 'package-lock.json', 'electron-builder.yml', 'assets', 'bin', 'packaging', 'node_modules', join('dist', 'main'), join('dist', 'cli'), join('dist', 'renderer')]) {
      cpSync(join(projectRoot, entry), join(copy, entry), { recursive: true, verbatimSymlinks: true });
    }
    const electronDist = standInElectron(join(root, 'electron-dist'), electronVersion);
    const build = await run(
      process.execPath,
      [join(copy, 'node_modules', 'electron-builder', 'cli.js'), '--linux', '--dir', '--publish', 'never', '--projectDir', copy, `-c.electronDist=${electronDist}`, `-c.electronVersion=${electronVersion}`],
      // keytar is an N-API module: built against this Node's own headers it loads in Electron too, and no header download is needed.
      { ...process.env, CI: 'true', ...(existsSync(join(nodePrefix, 'include', 'node', 'node_api.h')) ? { npm_config_nodedir: nodePrefix } : {}) },
    );
    assert.equal(build.code, 0, build.stdout + build.stderr);
    unpacked = join(copy, 'release', 'linux-unpacked');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('the layout: the app binary, the built app with only production dependencies, keytar rebuilt, the CLI wrappers', () => {
    assert.ok(statSync(join(unpacked, 'berth-app')).mode & 0o111, 'berth-app is executable');
    const app = join(unpacked, 'resources', 'app');
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { main: string; desktopName: string; devDependencies?: unknown };
    assert.equal(manifest.main, 'dist/main/app/main.js');
    assert.equal(manifest.desktopName, 'berth-app.desktop', 'the Wayland app_id matches the installed berth-app.desktop');
    for (const file of ['dist/main/app/main.js', 'dist/main/app/preload.cjs', 'dist/renderer/index.html', 'bin/berth.js', 'bin/docker-credential-berth.js', 'bin/package.json', 'dist/cli/quick-start.cjs', 'dist/cli/quick-starts.json', 'dist/cli/berth.cjs', 'dist/cli/docker-credential-berth.cjs', 'dist/cli/berth-main.js', 'dist/cli/credential-helper-main.js', 'assets/tray/fine.png']) {
      assert.ok(existsSync(join(app, file)), `${file} is packaged`);
    }
    assert.ok(!existsSync(join(app, 'dist', 'test')), 'no tests in the package');
    for (const runtime of ['keytar', 'electron-store', 'openid-client', 'jose', 'undici', 'jsonc-parser']) assert.ok(existsSync(join(app, 'node_modules', runtime)), `${runtime} is packaged`);
    for (const development of ['electron', 'electron-builder', 'vite', 'typescript', 'oidc-provider', 'playwright-core', 'react']) {
      assert.ok(!existsSync(join(app, 'node_modules', development)), `${development} (a devDependency) is not packaged`);
    }
    assert.ok(existsSync(join(app, 'node_modules', 'keytar', 'build', 'Release', 'keytar.node')));
    // @electron/rebuild marks what it built for; the mark itself is not packaged.
    assert.match(readFileSync(join(copy, 'node_modules', 'keytar', 'build', 'Release', '.forge-meta'), 'utf8'), /^linux--x64--\d+/, '@electron/rebuild built keytar for Electron');
    for (const wrapper of ['berth', 'docker-credential-berth', 'berth.cmd', 'docker-credential-berth.cmd']) assert.ok(existsSync(join(unpacked, 'resources', 'bin', wrapper)), `${wrapper} is in resources/bin`);
  });

  test('the fuses are flipped in the packaged binary: RunAsNode and cookie encryption on, every other way in off', async () => {
    const wire = (await getCurrentFuseWire(join(unpacked, 'berth-app'))) as Record<number, number>;
    const on = FuseState.ENABLE;
    const off = FuseState.DISABLE;
    assert.equal(wire[FuseV1Options.RunAsNode], on, 'the CLI and the credential helper run on the app as Node');
    assert.equal(wire[FuseV1Options.EnableCookieEncryption], on);
    assert.equal(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable], off, 'NODE_OPTIONS cannot inject code into the app');
    assert.equal(wire[FuseV1Options.EnableNodeCliInspectArguments], off, '--inspect cannot attach a debugger');
    assert.equal(wire[FuseV1Options.GrantFileProtocolExtraPrivileges], off);
    assert.equal(wire[FuseV1Options.OnlyLoadAppFromAsar], off, 'the app is not in an asar, so this must stay off or the app would not load');
  });

  test('berth and docker-credential-berth, linked onto PATH as the deb does, run on the packaged Electron with its keytar', async () => {
    const usrBin = join(root, 'usr', 'bin');
    mkdirSync(usrBin, { recursive: true });
    for (const name of ['berth', 'docker-credential-berth']) symlinkSync(join(unpacked, 'resources', 'bin', name), join(usrBin, name));
    const { ELECTRON_RUN_AS_NODE: _unset, ...inherited } = process.env;
    const env = { ...inherited, PATH: `${usrBin}:${process.env.PATH ?? ''}`, BERTH_HOME: join(root, 'home') };

    const version = await run('berth', ['--version'], env);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, `${(JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version}\n`);
    const helper = await run('docker-credential-berth', ['list'], env);
    assert.equal(helper.code, 0, helper.stderr);
    assert.deepEqual(JSON.parse(helper.stdout), {});
    const keytar = await run(join(unpacked, 'berth-app'), ['-e', 'require("keytar"); console.log("keytar loaded")'], { ...env, ELECTRON_RUN_AS_NODE: '1', NODE_PATH: join(unpacked, 'resources', 'app', 'node_modules') });
    assert.equal(keytar.stdout, 'keytar loaded\n', keytar.stderr);
    const unknown = await run('berth', ['no-such-command'], env);
    assert.equal(unknown.code, 64, 'the exit code comes through the wrapper');

    // Without ELECTRON_RUN_AS_NODE the binary is the app: the wrapper must always set it.
    const bare = await run(join(unpacked, 'berth-app'), ['--version'], env);
    assert.equal(bare.code, 99);
  });

  test("the deb's scripts, run into a root of their own: the sandbox helper setuid, berth-app, berth and the credential helper linked onto PATH, and the links gone on removal", async () => {
    const config = (require('js-yaml').load as (text: string) => unknown)(readFileSync(join(projectRoot, 'electron-builder.yml'), 'utf8')) as {
      productName: string;
      linux: { executableName: string };
      deb: { afterInstall: string; afterRemove: string };
    };
    const deb = join(root, 'deb-root');
    const app = join(deb, 'opt', config.productName);
    cpSync(unpacked, app, { recursive: true, verbatimSymlinks: true });
    // Real Electron ships its sandbox helper beside the binary; the stand-in has none.
    if (!existsSync(join(app, 'chrome-sandbox'))) writeFileSync(join(app, 'chrome-sandbox'), '', { mode: 0o755 });
    for (const folder of [['usr', 'bin'], ['usr', 'share', 'applications']]) mkdirSync(join(deb, ...folder), { recursive: true });
    const macros = { executable: config.linux.executableName, sanitizedProductName: config.productName, productFilename: config.productName };
    const script = (file: string) => {
      const rendered = join(root, `rendered-${basename(file)}`);
      writeFileSync(rendered, renderDebScript(readFileSync(join(projectRoot, file), 'utf8'), macros));
      return rendered;
    };

    const install = await run('/bin/sh', [script(config.deb.afterInstall)], { ...process.env, DPKG_ROOT: deb });
    assert.equal(install.code, 0, install.stderr);
    assert.equal(statSync(join(app, 'chrome-sandbox')).mode & 0o7777, 0o4755, 'chrome-sandbox is setuid');
    const links = { [config.linux.executableName]: config.linux.executableName, berth: 'resources/bin/berth', 'docker-credential-berth': 'resources/bin/docker-credential-berth' };
    for (const [name, target] of Object.entries(links)) {
      const link = join(deb, 'usr', 'bin', name);
      assert.equal(readlinkSync(link), `/opt/${config.productName}/${target}`, `${name} points where the package puts it`);
      assert.ok(statSync(join(deb, readlinkSync(link))).mode & 0o111, `${name}'s target is there, executable`);
    }
    const version = await run(join(deb, 'opt', config.productName, 'resources', 'bin', 'berth'), ['--version'], { ...process.env, BERTH_HOME: join(root, 'deb-home') });
    assert.equal(version.code, 0, version.stderr);

    const remove = await run('/bin/sh', [script(config.deb.afterRemove)], { ...process.env, DPKG_ROOT: deb });
    assert.equal(remove.code, 0, remove.stderr);
    assert.deepEqual(readdirSync(join(deb, 'usr', 'bin')), [], 'every link is gone');
  });

  test('the Windows wrappers keep ELECTRON_RUN_AS_NODE to themselves and hand back the exit code', () => {
    for (const name of ['berth.cmd', 'docker-credential-berth.cmd']) {
      const text = readFileSync(join(unpacked, 'resources', 'bin', name), 'utf8');
      assert.ok(!/[^\r]\n/.test(text), `${name} has CRLF line endings`);
      const commands = text.split('\r\n').filter((line) => line && !/^(rem |@echo off)/i.test(line));
      assert.deepEqual(commands[0], 'setlocal', `${name}: setlocal before anything is set, so the variable does not leak into the caller's shell`);
      assert.equal(commands[1], 'set ELECTRON_RUN_AS_NODE=1');
      assert.equal(commands.at(-1), 'exit /b %ERRORLEVEL%', `${name} returns the CLI's exit code`);
    }
  });

  test('the configuration: deb first on Linux, macOS hardened and notarised with only the JIT exception and a zip for updates, engines the toolchain accepts', () => {
    const load = require('js-yaml').load as (text: string) => unknown;
    const satisfies = require('semver').satisfies as (version: string, range: string) => boolean;
    const minVersion = require('semver').minVersion as (range: string) => { version: string } | null;
    const config = load(readFileSync(join(projectRoot, 'electron-builder.yml'), 'utf8')) as {
      linux: { target: string[] };
      mac: { target: string[]; hardenedRuntime: boolean; notarize: boolean; entitlements: string };
    };
    assert.deepEqual(config.linux.target, ['deb', 'AppImage'], 'the deb is the Linux package to choose (its sandbox helper works on Ubuntu 24.04)');
    assert.deepEqual(config.mac.target, ['dmg', 'zip'], 'electron-updater installs from the zip');
    assert.equal(config.mac.hardenedRuntime, true);
    assert.equal(config.mac.notarize, true);
    const entitlements = readFileSync(join(projectRoot, config.mac.entitlements), 'utf8');
    assert.deepEqual([...entitlements.matchAll(/<key>([^<]+)<\/key>/g)].map((match) => match[1]), ['com.apple.security.cs.allow-jit']);
    const engines = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const floor = minVersion(engines)?.version ?? '0.0.0';
    for (const tool of ['@electron/rebuild', 'electron-builder']) {
      const needs = (JSON.parse(readFileSync(join(projectRoot, 'node_modules', tool, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? '*';
      assert.ok(satisfies(floor, needs), `the oldest Node Berth allows (${floor}) runs ${tool} (${needs})`);
    }
  });
});
