import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { passwordFingerprint, secretFingerprint } from './fingerprint';

void test('fingerprints: stable in a process, different for any other value, no trace of the value', () => {
  assert.equal(secretFingerprint('s3cret'), secretFingerprint('s3cret'));
  for (const other of ['s3creT', 's3cret ', 's3cret\n', '', 's3cre']) assert.notEqual(secretFingerprint(other), secretFingerprint('s3cret'), JSON.stringify(other));
  assert.match(secretFingerprint('s3cret'), /^[0-9a-f]{32}$/);
  // Keyed per process: not the plain hash anyone could compute (or look up) from the password.
  assert.ok(!createHash('sha256').update('s3cret').digest('hex').startsWith(secretFingerprint('s3cret')), 'not sha256 of the password');
  assert.equal(passwordFingerprint(undefined), undefined);
  assert.equal(passwordFingerprint(''), undefined, 'an empty password is none');
  assert.equal(passwordFingerprint('s3cret'), secretFingerprint('s3cret'));
});
