import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitString, objectIdentifier, sequence, tlv, unsignedInteger, x509Time } from './der';

const hex = (b: Buffer): string => b.toString('hex');

void test('DER encodings, against values from X.690 and RFC 5280', () => {
  assert.equal(hex(objectIdentifier('1.2.840.113549.1.1.11')), '06092a864886f70d01010b');
  assert.equal(hex(objectIdentifier('2.5.29.17')), '0603551d11');
  assert.equal(hex(unsignedInteger(Buffer.from([0x80]))), '02020080', 'a high bit gets a leading zero');
  assert.equal(hex(unsignedInteger(Buffer.from([0, 0, 5]))), '020105', 'leading zeros are dropped');
  assert.equal(hex(bitString(Buffer.from([0xa0]), 5)), '030205a0');
  assert.equal(hex(sequence()), '3000');
  assert.equal(hex(tlv(0x04, Buffer.alloc(300)).subarray(0, 4)), '0482012c', 'long form length');
  assert.equal(hex(tlv(0x04, Buffer.alloc(127)).subarray(0, 2)), '047f', 'short form up to 127');
  assert.equal(x509Time(new Date('2026-01-02T03:04:05.678Z')).toString('ascii', 2), '260102030405Z');
  assert.equal(x509Time(new Date('2026-01-02T03:04:05Z'))[0], 0x17, 'UTCTime before 2050');
  const late = x509Time(new Date('2051-06-07T08:09:10Z'));
  assert.deepEqual([late[0], late.toString('ascii', 2)], [0x18, '20510607080910Z']);
});
