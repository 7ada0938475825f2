import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** In CI (and with BERTH_TEST_STRICT=1) a missing component fails the run instead of skipping tests. */
export const strict = process.env.BERTH_TEST_STRICT === '1' || process.env.CI === 'true';

export type Component = 'docker-registry' | 'docker' | 'skopeo' | 'openssl' | 'keyring' | 'chromium' | 'secretservice-helper' | 'tmux' | 'dbus' | 'electron' | 'node22';

/**
 * Components this machine cannot have at all (BERTH_TEST_NOT_HERE=electron where Electron's binary cannot be
 * downloaded): strict mode lists their tests as not run instead of failing; everything else missing still fails.
 */
const notHere = new Set((process.env.BERTH_TEST_NOT_HERE ?? '').split(',').filter(Boolean));

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

function present(component: Component): boolean {
  // test/run.sh sets this once it has a private D-Bus session with an unlocked gnome-keyring.
  if (component === 'keyring') return process.env.BERTH_TEST_KEYRING === '1';
  if (component === 'electron') return electronBinary() !== undefined;
  if (component === 'node22') return node22Binary() !== undefined;
  const program = component === 'chromium' ? chromiumPath : programs[component];
  try {
    execFileSync('sh', ['-c', `command -v "$0"`, program as string], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** For `test(name, { skip: unless(...) })`: the reason to skip, or false; in strict mode a missing component throws. */
export function unless(...components: Component[]): string | false {
  const missing = components.filter((component) => !present(component));
  if (missing.length === 0) return false;
  if (missing.every((component) => notHere.has(component))) return `not run: no ${missing.join(', ')} on this machine`;
  const reason = `missing test components: ${missing.join(', ')} (see .ci/run for how to install them)`;
  if (strict) throw new Error(`${reason}; strict mode does not skip`);
  return reason;
}
