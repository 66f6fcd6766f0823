// A fingerprint of a secret, to tell "the same password" from "another one" without keeping
// or printing the password. Keyed with a random per-process key: a fingerprint means nothing
// outside this process, so one that reaches a log or a heap dump cannot be brute-forced
// offline (TCP MD5 passwords are often short). Only compare fingerprints made by this process.
import { createHmac, randomBytes } from 'node:crypto';

const PROCESS_KEY = randomBytes(32);

export function secretFingerprint(value: string): string {
  return createHmac('sha256', PROCESS_KEY).update(value, 'utf8').digest('hex').slice(0, 32);
}

/** The fingerprint of an optional password: absent and empty both mean "no password". */
export function passwordFingerprint(password: string | undefined): string | undefined {
  return password === undefined || password === '' ? undefined : secretFingerprint(password);
}
