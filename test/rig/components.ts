import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, isAbsolute, join } from 'node:path';

/** In CI (and with BERTH_TEST_STRICT=1) a missing component fails the run instead of skipping tests. */
export const strict = process.env.BERTH_TEST_STRICT === '1' || process.env.CI === 'true';

export type Component = 'docker-registry' | 'docker' | 'skopeo' | 'openssl' | 'keyring' | 'chromium' | 'secretservice-helper' | 'tmux' | 'dbus' | 'electron' | 'node22';

/** What each component is, in the words of a "not run" line. */
const described: Record<Component, string> = {
  'docker-registry': "docker-registry (Debian's CNCF distribution)",
  docker: 'docker CLI',
  skopeo: 'skopeo',
  openssl: 'openssl',
  keyring: 'gnome-keyring on a private D-Bus session',
  chromium: 'Chromium',
  'secretservice-helper': 'docker-credential-secretservice',
  tmux: 'tmux',
  dbus: 'D-Bus',
  electron: 'Electron binary',
  node22: 'Node 22',
};

/**
 * Components a system cannot have: macOS and Windows have no D-Bus, so no gnome-keyring or Secret Service helper, and
 * the rig's registry is Debian's package; Windows has no tmux. Their tests are listed there as not run, by name.
 */
export const cannotExistOn: Partial<Record<NodeJS.Platform, Component[]>> = {
  darwin: ['dbus', 'keyring', 'secretservice-helper', 'docker-registry'],
  win32: ['dbus', 'keyring', 'secretservice-helper', 'docker-registry', 'tmux'],
};

const systemNames: Partial<Record<NodeJS.Platform, string>> = { darwin: 'macOS', win32: 'Windows' };

const programs: Partial<Record<Component, string>> = {
  'docker-registry': 'docker-registry',
  docker: 'docker',
  skopeo: 'skopeo',
  openssl: 'openssl',
  chromium: 'chromium',
  'secretservice-helper': 'docker-credential-secretservice',
  tmux: 'tmux',
  dbus: 'dbus-daemon',
};

export const chromiumPath = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';

/** The path of Electron's binary as its installer records it, if the binary is there. */
export function electronBinary(): string | undefined {
  const packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  const pathFile = join(packageDir, 'path.txt');
  const binary = existsSync(pathFile) ? join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : undefined;
  return binary && existsSync(binary) ? binary : undefined;
}

/** A Node 22 to run Berth on as Electron 45 does: this one, or BERTH_TEST_NODE22 (.ci/run gets it from the npm registry). */
export function node22Binary(): string | undefined {
  if (Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  const given = process.env.BERTH_TEST_NODE22;
  return given && existsSync(given) ? given : undefined;
}

/** Is this program on PATH (with Windows' executable extensions), or, given as a path, there? */
function onPath(program: string): boolean {
  if (isAbsolute(program)) return existsSync(program);
  const extensions = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && extensions.some((extension) => existsSync(join(dir, `${program}${extension}`))));
}

function present(component: Component): boolean {
  // test/run.sh sets this once it has a private D-Bus session with an unlocked gnome-keyring.
  if (component === 'keyring') return process.env.BERTH_TEST_KEYRING === '1';
  if (component === 'electron') return electronBinary() !== undefined;
  if (component === 'node22') return node22Binary() !== undefined;
  return onPath(component === 'chromium' ? chromiumPath : (programs[component] as string));
}

export interface ComponentRules {
  present(component: Component): boolean;
  /** Components this machine cannot have (BERTH_TEST_NOT_HERE=electron where Electron's binary cannot be downloaded). */
  notHere: Set<Component>;
  platform: NodeJS.Platform;
  strict: boolean;
}

/**
 * Why a test needing these components does not run, or false when it does. A test needing what cannot exist here (on
 * this system, or named in BERTH_TEST_NOT_HERE) is "not run: no …", by name; otherwise anything missing fails in strict
 * mode, since installing it would let the test run.
 */
export function skipReason(components: Component[], rules: ComponentRules): string | false {
  const missing = components.filter((component) => !rules.present(component));
  if (missing.length === 0) return false;
  const bySystem = cannotExistOn[rules.platform] ?? [];
  const impossible = missing.filter((component) => rules.notHere.has(component) || bySystem.includes(component));
  if (impossible.length > 0) {
    const system = impossible.some((component) => bySystem.includes(component)) ? ` (${systemNames[rules.platform]} has none)` : '';
    return `not run: no ${impossible.map((component) => described[component]).join(', no ')}${system}`;
  }
  const reason = `missing test components: ${missing.join(', ')} (see .ci/run for how to install them)`;
  if (rules.strict) throw new Error(`${reason}; strict mode does not skip`);
  return reason;
}

const here: ComponentRules = { present, notHere: new Set((process.env.BERTH_TEST_NOT_HERE ?? '').split(',').filter(Boolean) as Component[]), platform: process.platform, strict };

/** For `test(name, { skip: unless(...) })`: the reason to skip, or false; in strict mode a missing component throws. */
export function unless(...components: Component[]): string | false {
  return skipReason(components, here);
}
