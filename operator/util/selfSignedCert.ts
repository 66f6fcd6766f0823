// A self-signed serving certificate made in memory at start, as controller-runtime's metrics
// server does when it is given no certificate: /metrics is then encrypted (the bearer token
// a scraper sends never crosses the network in clear) though not verifiable, so scrapers
// set insecureSkipVerify or are given a real certificate (metrics.certFile/keyFile,
// e.g. from cert-manager). Node has no X.509 writer: the key and the signature are
// node:crypto's, the certificate's DER is written here (./der.ts), which node-forge did before
// at about 15 MB of RSS in every speaker.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, booleanTrue, contextConstructed, contextPrimitive, nullValue, objectIdentifier, octetString, sequence, set, unsignedInteger, utf8String, x509Time } from './der';
import { ipBytes } from './ip';

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

const OID = {
  sha256WithRSA: '1.2.840.113549.1.1.11',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return sequence(objectIdentifier(oid), ...(critical ? [booleanTrue()] : []), octetString(value));
}

function generalNames(names: readonly string[]): Buffer {
  return sequence(...altNames(names).map((n) => (n.ip !== undefined ? contextPrimitive(7, Buffer.from(ipBytes(n.ip) ?? [])) : contextPrimitive(2, Buffer.from(n.value ?? '', 'ascii')))));
}

/**
 * A certificate for `names` (first one is the common name), valid from an hour ago (clock
 * skew) for `days`. Not a CA: it signs nothing but itself.
 */
export function selfSignedCert(names: readonly string[], days = 365, now = new Date()): ServingCert {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // Positive (high bit clear) 64-bit serial, as RFC 5280 wants.
  const serial = randomBytes(8);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  const algorithm = sequence(objectIdentifier(OID.sha256WithRSA), nullValue());
  const name = sequence(
    set(sequence(objectIdentifier(OID.commonName), utf8String(names[0] ?? 'vip-announcer'))),
    set(sequence(objectIdentifier(OID.organization), utf8String('vip-announcer (self-signed)'))),
  );
  const tbs = sequence(
    contextConstructed(0, unsignedInteger(Buffer.from([2]))), // v3
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(x509Time(new Date(now.getTime() - 3600 * 1000)), x509Time(new Date(now.getTime() + days * DAY_MS))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    contextConstructed(
      3,
      sequence(
        extension(OID.basicConstraints, true, sequence()), // cA false (the default, so empty)
        extension(OID.keyUsage, true, bitString(Buffer.from([0xa0]), 5)), // digitalSignature, keyEncipherment
        extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
        extension(OID.subjectAltName, false, generalNames(names)),
      ),
    ),
  );
  const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, privateKey)));
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return { cert: `-----BEGIN CERTIFICATE-----\n${b64}-----END CERTIFICATE-----\n`, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
