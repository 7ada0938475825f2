import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stopChild } from './child-process.js';

export interface TokenSigningMaterial {
  privateKeyPem: string;
  certificatePem: string;
  certificateDerBase64: string;
}

/** A self-signed certificate for the token issuer; the registry trusts tokens whose x5c carries it. */
export function tokenSigningMaterial(dir: string): TokenSigningMaterial {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=harbor-token-issuer'], {
    stdio: 'ignore',
  });
  const certificatePem = readFileSync(certPath, 'utf8');
  const der = Buffer.from(certificatePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return { privateKeyPem: readFileSync(keyPath, 'utf8'), certificatePem, certificateDerBase64: der.toString('base64') };
}

export interface RunningRegistry {
  url: string;
  stop(): Promise<void>;
}

/** How the registry asks for credentials: a token service (the Harbor double's), or basic auth against an htpasswd file (bcrypt). */
export type RegistryAuthConfig = { realm: string; certificatePem: string } | { htpasswd: string };

/**
 * Debian's `docker-registry` (distribution 2.8) with token auth against the Harbor double, or with distribution's own
 * htpasswd basic auth (registry/auth/htpasswd: bcrypt entries only); port chosen by the OS.
 */
export async function startRegistry(options: RegistryAuthConfig): Promise<RunningRegistry & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-registry-'));
  const auth =
    'htpasswd' in options
      ? ['auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${join(dir, 'htpasswd')}`]
      : [
          'auth:',
          '  token:',
          `    realm: ${options.realm}`,
          '    service: harbor-registry',
          '    issuer: harbor-token-issuer',
          `    rootcertbundle: ${join(dir, 'token.crt')}`,
        ];
  if ('htpasswd' in options) writeFileSync(join(dir, 'htpasswd'), options.htpasswd);
  else writeFileSync(join(dir, 'token.crt'), options.certificatePem);
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: info',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      '  addr: 127.0.0.1:0',
      `  secret: ${createHash('sha256').update(dir).digest('hex')}`,
      ...auth,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`docker-registry did not start:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(`http://${match[1]}`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited with ${code}:\n${output}`));
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url,
    dir,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A one-file tar archive, enough for a real image layer. */
function tarOf(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number) => header.write(value, offset, length, 'ascii');
  field(name, 0, 100);
  field('0000644\0', 100, 8);
  field('0000000\0', 108, 8);
  field('0000000\0', 116, 8);
  field(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 12);
  field(`${Math.floor(Date.UTC(2026, 0, 1) / 1000).toString(8).padStart(11, '0')}\0`, 136, 12);
  field('        ', 148, 8);
  field('0', 156, 1);
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface PushedImage {
  repository: string;
  tag: string;
  digest: string;
}

/** Pushes a small image with the distribution HTTP API (no docker engine needed), with a token for the scope (or basic credentials). */
export async function pushImage(registryUrl: string, tokenFor: (scope: string) => Promise<string>, repository: string, tag: string, scheme: 'Bearer' | 'Basic' = 'Bearer'): Promise<PushedImage> {
  const token = await tokenFor(`repository:${repository}:pull,push`);
  const auth = { authorization: `${scheme} ${token}` };
  const tar = tarOf('hello.txt', Buffer.from('hello from the Berth test rig\n'));
  const layer = gzipSync(tar);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['cat', '/hello.txt'] }, rootfs: { type: 'layers', diff_ids: [sha256(tar)] } }));
  for (const blob of [layer, config]) {
    const start = await fetch(new URL(`/v2/${repository}/blobs/uploads/`, registryUrl), { method: 'POST', headers: auth });
    if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location') as string, registryUrl);
    location.searchParams.set('digest', sha256(blob));
    const put = await fetch(location, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: blob });
    if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha256(config) },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: sha256(layer) }],
    }),
  );
  const put = await fetch(new URL(`/v2/${repository}/manifests/${tag}`, registryUrl), {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
    body: manifest,
  });
  if (put.status !== 201) throw new Error(`manifest upload: ${put.status} ${await put.text()}`);
  return { repository, tag, digest: sha256(manifest) };
}
