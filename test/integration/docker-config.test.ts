import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DockerCredentialsTarget } from '../../main/credentials/docker-target.js';
import { BerthError } from '../../main/errors.js';
import { projectRoot } from '../helpers/berth.js';

function folder(): { dir: string; file: string; target: DockerCredentialsTarget } {
  const dir = join(mkdtempSync(join(tmpdir(), 'berth-docker-')), 'docker');
  return { dir, file: join(dir, 'config.json'), target: new DockerCredentialsTarget({ DOCKER_CONFIG: dir }) };
}

const credential = { server: 'https://harbor.example.org/some/path', username: 'alice', secret: 'S3cret-value' };
const expectedAuth = Buffer.from('alice:S3cret-value').toString('base64');

describe("docker's config.json", () => {
  test('a new file is created 0600 in a 0700 folder, keyed by host as docker does', async () => {
    const { dir, file, target } = folder();
    assert.equal(await target.store(credential, 'r'), 'config');
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { auths: { 'harbor.example.org': { auth: expectedAuth } } });
    assert.match(readFileSync(file, 'utf8'), /^\{\n\t"auths"/, 'tab-indented like docker');
  });

  test('other entries, unknown fields and the entry’s own extra fields survive; aliases of the host are folded into one', async () => {
    const { dir, file, target } = folder();
    mkdirSync(dir, { recursive: true });
    const original = {
      auths: {
        'other.example.org': { auth: 'b3RoZXI6cGFzcw==' },
        'https://harbor.example.org/': { auth: 'b2xkOm9sZA==', email: 'alice@example.org' },
        'https://index.docker.io/v1/': { auth: 'aHViOmh1Yg==' },
      },
      credHelpers: { 'gcr.io': 'gcloud' },
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
      'x-unknown': { nested: [1, 2, { deep: true }] },
      detachKeys: 'ctrl-e,e',
    };
    writeFileSync(file, JSON.stringify(original, null, 2));
    await target.store(credential, 'r');
    const after = JSON.parse(readFileSync(file, 'utf8')) as typeof original & { auths: Record<string, unknown> };
    assert.deepEqual(after.auths, {
      'other.example.org': { auth: 'b3RoZXI6cGFzcw==' },
      'https://index.docker.io/v1/': { auth: 'aHViOmh1Yg==' },
      'harbor.example.org': { auth: expectedAuth, email: 'alice@example.org' },
    });
    const { auths: _a, ...rest } = after;
    const { auths: _b, ...originalRest } = original;
    assert.deepEqual(rest, originalRest);

    await target.erase('harbor.example.org', 'r');
    const erased = JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, unknown> };
    assert.deepEqual(Object.keys(erased.auths).sort(), ['https://index.docker.io/v1/', 'other.example.org']);
  });

  test('Docker Hub is keyed as https://index.docker.io/v1/', async () => {
    const { file, target } = folder();
    await target.store({ server: 'docker.io', username: 'u', secret: 'p' }, 'hub');
    assert.deepEqual(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { auths: object }).auths), ['https://index.docker.io/v1/']);
  });

  test('a file that does not parse is left byte-identical, with an error naming the file, line and column', async () => {
    const { dir, file, target } = folder();
    mkdirSync(dir, { recursive: true });
    const broken = '{\n\t"auths": {\n\t\t"a.example.org": { "auth": "eA==" },\n\t}\n}\n';
    writeFileSync(file, broken);
    const before = readFileSync(file);
    await assert.rejects(target.store(credential, 'r'), (error: unknown) => {
      assert.ok(error instanceof BerthError);
      assert.equal(error.code, 'file-parse');
      assert.ok(error.message.includes(`${file}:4:2`), error.message);
      return true;
    });
    await assert.rejects(target.erase('harbor.example.org', 'r'), /not valid JSON/);
    assert.deepEqual(readFileSync(file), before);
    assert.deepEqual(readdirSync(dir), ['config.json'], 'no temp file left behind');
  });

  test('the file’s mode is kept', async () => {
    const { dir, file, target } = folder();
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, '{}');
    chmodSync(file, 0o640);
    await target.store(credential, 'r');
    assert.equal(statSync(file).mode & 0o777, 0o640);
  });

  test('a symlinked config.json stays a link and its target is updated', async () => {
    const { dir, file, target } = folder();
    const real = join(dir, '..', 'dotfiles', 'docker-config.json');
    mkdirSync(join(dir, '..', 'dotfiles'), { recursive: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(real, '{"auths":{}}');
    symlinkSync(join('..', 'dotfiles', 'docker-config.json'), file);
    await target.store(credential, 'r');
    assert.ok(lstatSync(file).isSymbolicLink());
    assert.equal(readlinkSync(file), join('..', 'dotfiles', 'docker-config.json'));
    assert.equal((JSON.parse(readFileSync(real, 'utf8')) as { auths: Record<string, { auth: string }> }).auths['harbor.example.org']?.auth, expectedAuth);
  });

  test('a writer killed with SIGKILL in the middle of a loop of writes never leaves an unparsable or truncated file', async () => {
    const { dir, file } = folder();
    mkdirSync(dir, { recursive: true });
    const initial = JSON.stringify({ auths: {}, 'x-kept': 'yes' });
    writeFileSync(file, initial);
    const script = join(projectRoot, 'dist', 'test', 'helpers', 'write-loop.js');
    const contents = new Set<string>();
    for (let round = 0; round < 25; round++) {
      const child = spawn(process.execPath, [script], { env: { ...process.env, DOCKER_CONFIG: dir }, stdio: ['ignore', 'pipe', 'ignore'] });
      // Killed after a random number of writes, however slow the machine: by then the next write is under way.
      const writes = 1 + Math.floor(Math.random() * 30);
      await new Promise<void>((resolve) => {
        let seen = 0;
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          seen += chunk.split('\n').length - 1;
          if (seen >= writes) resolve();
        });
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const text = readFileSync(file, 'utf8');
      const parsed = JSON.parse(text) as { auths: Record<string, { auth: string }>; 'x-kept': string };
      assert.equal(parsed['x-kept'], 'yes', `round ${round}: other content kept`);
      for (const entry of Object.values(parsed.auths)) assert.match(Buffer.from(entry.auth, 'base64').toString(), /^user\d+:secret-\d+-x*$/);
      assert.ok(text === initial || text.endsWith('}\n'), `round ${round}: file complete`);
      contents.add(text);
    }
    assert.ok(contents.size > 10, `the writer was killed mid-loop with new content most rounds (${contents.size} distinct files seen)`);
  });
});
