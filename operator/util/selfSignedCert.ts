// A self-signed serving certificate made in memory at start, as controller-runtime's metrics
// server does when it is given no certificate: /metrics is then encrypted (the bearer token
// a scraper sends never crosses the network in clear) though not verifiable, so scrapers
// set insecureSkipVerify or are given a real certificate (metrics.certFile/keyFile,
// e.g. from cert-manager). Node has no X.509 writer: the key is node:crypto's (native, fast),
// the certificate node-forge's (a dependency-free, widely used implementation).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface ServingCert {
  /** PEM */
  cert: string;
  /** PEM (PKCS#8) */
  key: string;
}

const DAY_MS = 24 * 3600 * 1000;

/** Subject alternative names: IP literals as iPAddress, everything else as dNSName. */
export function altNames(names: readonly string[]): { type: number; value?: string; ip?: string }[] {
  return [...new Set(names.filter((n) => n !== ''))].map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n }));
}

/**
 * A certificate for `names` (first one is the common name), valid from an hour ago (clock
 * skew) for `days`. Not a CA: it signs nothing but itself.
 */
export function selfSignedCert(names: readonly string[], days = 365, now = new Date()): ServingCert {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pubPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pubPem);
  // Positive (high bit clear) 64-bit serial, as RFC 5280 wants.
  const serial = randomBytes(8);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 3600 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
  const subject = [{ name: 'commonName', value: names[0] ?? 'vip-announcer' }, { name: 'organizationName', value: 'vip-announcer (self-signed)' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: altNames(names) },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keyPem };
}
