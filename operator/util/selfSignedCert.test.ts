import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { altNames, selfSignedCert } from './selfSignedCert';

describe('selfSignedCert', () => {
  it('is a serving certificate for the given names, signed by its own key', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { cert, key } = selfSignedCert(['node-a', '10.0.0.7', 'fd00::7', 'localhost'], 365, now);
    const x = new X509Certificate(cert);
    assert.equal(x.subject.split('\n').find((l) => l.startsWith('CN=')), 'CN=node-a');
    assert.equal(x.issuer, x.subject);
    assert.equal(x.ca, false);
    assert.ok(x.verify(x.publicKey), 'self-signed: its own key verifies it');
    assert.ok(x.checkPrivateKey(createPrivateKey(key)), 'the key belongs to the certificate');
    assert.equal(x.checkHost('node-a'), 'node-a');
    assert.equal(x.checkIP('10.0.0.7'), '10.0.0.7');
    assert.ok(x.subjectAltName?.includes('IP Address:FD00:0:0:0:0:0:0:7'), x.subjectAltName);
    assert.equal(x.checkHost('node-b'), undefined);
    assert.ok(new Date(x.validFrom) < now && new Date(x.validTo) > new Date(now.getTime() + 364 * 86_400_000));
    assert.ok(x.keyUsage?.includes('1.3.6.1.5.5.7.3.1'), 'extended key usage serverAuth');
  });

  it('is still well-formed when valid past 2049 (GeneralizedTime)', () => {
    const x = new X509Certificate(selfSignedCert(['late'], 40 * 365, new Date('2026-01-01T00:00:00Z')).cert);
    assert.ok(new Date(x.validTo).getUTCFullYear() >= 2065, x.validTo);
    assert.ok(x.verify(x.publicKey));
  });

  it('two certificates never share a serial or a key', () => {
    const a = new X509Certificate(selfSignedCert(['x']).cert);
    const b = new X509Certificate(selfSignedCert(['x']).cert);
    assert.notEqual(a.serialNumber, b.serialNumber);
    assert.notEqual(a.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'), b.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));
  });

  it('IP literals become iPAddress names, the rest dNSName; blanks and repeats are dropped', () => {
    assert.deepEqual(altNames(['a.example', '', '192.0.2.1', 'a.example', '::1']), [
      { type: 2, value: 'a.example' },
      { type: 7, ip: '192.0.2.1' },
      { type: 7, ip: '::1' },
    ]);
  });
});
