import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * `npm start`'s first step: is Electron's binary there? Without it, Electron's own launcher says only "Electron failed
 * to install correctly"; this says why it is missing, how to get it, and that the CLI works without it.
 */
function electronProblem(packageDir: string, env: NodeJS.ProcessEnv): string | null {
  const pathFile = join(packageDir, 'path.txt');
  const binary = existsSync(pathFile) ? join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (env.ELECTRON_OVERRIDE_DIST_PATH || (binary && existsSync(binary))) return null;
  const why = env.ELECTRON_SKIP_BINARY_DOWNLOAD
    ? 'ELECTRON_SKIP_BINARY_DOWNLOAD is set, so npm install did not download it'
    : 'its download from github.com did not happen or failed (a network that blocks GitHub, or ELECTRON_SKIP_BINARY_DOWNLOAD set during npm install)';
  return [
    `Berth's desktop app needs Electron's binary, which is not installed (${join(packageDir, 'dist')} has none): ${why}.`,
    '  Get it: unset ELECTRON_SKIP_BINARY_DOWNLOAD and run `node node_modules/electron/install.js` (it downloads from github.com, or from ELECTRON_MIRROR).',
    '  Without it, the CLI and the credential helper work as they are: `node bin/berth.js --help`, `node bin/docker-credential-berth.js`.',
  ].join('\n');
}

function electronPackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('electron/package.json'));
}

// The electron package to look at: the project's, or one given (for the tests).
const problem = electronProblem(process.argv[2] ?? electronPackageDir(), process.env);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exitCode = 1;
}
