import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as files and as PEM text. */
export interface Issued {
  cert: string;
  key: string;
  certPem: string;
  keyPem: string;
}

function read(cert: string, key: string): Issued {
  return { cert, key, certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

/** openssl, quietly; a failure shows openssl's own words. */
function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A private CA made by openssl in a folder of its own, issuing server certificates with any name and validity. */
export class TestCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'berth-ca-'));
  readonly ca: Issued;
  private serial = 0;

  constructor(name = 'Berth Test CA') {
    writeFileSync(join(this.dir, 'ca.cnf'), ['[ca]', 'default_ca = test_ca', '[test_ca]', 'dir = .', 'database = index.txt', 'new_certs_dir = .', 'serial = serial', 'default_md = sha256', 'policy = any', 'copy_extensions = copy', 'unique_subject = no', '[any]', 'commonName = supplied', ''].join('\n'));
    writeFileSync(join(this.dir, 'index.txt'), '');
    writeFileSync(join(this.dir, 'serial'), '01\n');
    openssl(this.dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${name}`]);
    this.ca = read(join(this.dir, 'ca.pem'), join(this.dir, 'ca.key'));
  }

  /** A server certificate for `altName` (`IP:127.0.0.1`, `DNS:registry.example.org`), valid between the two dates (openssl's YYYYMMDDHHMMSSZ). */
  issue(altName: string, validity: { from?: string; until?: string } = {}): Issued {
    const id = `leaf${++this.serial}`;
    openssl(this.dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${id}.key`, '-out', `${id}.csr`, '-subj', `/CN=${altName.replace(/^\w+:/, '')}`, '-addext', `subjectAltName=${altName}`]);
    const dates = [...(validity.from ? ['-startdate', validity.from] : []), ...(validity.until ? ['-enddate', validity.until] : ['-days', '2'])];
    openssl(this.dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${id}.csr`, '-out', `${id}.pem`, ...dates]);
    return read(join(this.dir, `${id}.pem`), join(this.dir, `${id}.key`));
  }
}

/** A server certificate signed by itself, for `altName`. */
export function selfSigned(altName: string): Issued {
  const dir = mkdtempSync(join(tmpdir(), 'berth-self-'));
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', `/CN=${altName.replace(/^\w+:/, '')}`, '-addext', `subjectAltName=${altName}`]);
  return read(join(dir, 'cert.pem'), join(dir, 'key.pem'));
}
