import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CertificatePair {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

/**
 * A self-signed certificate made with openssl. The server one carries subjectAltName IP:127.0.0.1, which
 * Node's TLS check needs; clients trust it through NODE_EXTRA_CA_CERTS or the SDK's tlsOptions, never by
 * turning verification off.
 */
export function makeSelfSignedCertificate(
  dir: string,
  name: string,
  subject: string,
  san?: string,
): CertificatePair {
  const certPath = path.join(dir, `${name}.crt`);
  const keyPath = path.join(dir, `${name}.key`);
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2'];
  args.push('-keyout', keyPath, '-out', certPath, '-subj', subject);
  if (san) args.push('-addext', `subjectAltName=${san}`, '-addext', 'basicConstraints=critical,CA:TRUE');
  execFileSync('openssl', args, { stdio: 'pipe' });
  return {
    certPem: fs.readFileSync(certPath, 'utf8'),
    keyPem: fs.readFileSync(keyPath, 'utf8'),
    certPath,
    keyPath,
  };
}
