// One rule for a TCP MD5 password read from a file, shared by the config load (at start) and
// the speaker (every time the mounted Secret changes), so both refuse the same files with the
// same words. No message here contains the file's content.
import { readFileSync } from 'node:fs';
import { MAX_PASSWORD_BYTES } from './schema';
import { Secret } from './types';

export const PASSWORD_TOO_LONG = `the password must be at most ${MAX_PASSWORD_BYTES} bytes (the kernel's TCP MD5 key limit)`;

export const passwordTooLong = (password: string): boolean => Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;

export type PasswordRead = { ok: true; password: Secret } | { ok: false; problem: string };

/** The password in `content` (a file's text), or why it is not one. `file` only names it in the problem. */
export function passwordOfContent(file: string, content: string): PasswordRead {
  // Secrets made with `echo` end in a newline that is not part of the password.
  const password = content.replace(/\r?\n+$/, '');
  if (password === '') return { ok: false, problem: `${file} is empty` };
  if (passwordTooLong(password)) return { ok: false, problem: `${file}: ${PASSWORD_TOO_LONG}` };
  return { ok: true, password: new Secret(password) };
}

/** Reads and checks one password file (an absolute path). */
export function readPasswordFile(file: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): PasswordRead {
  let content: string;
  try {
    content = read(file);
  } catch (err) {
    return { ok: false, problem: `cannot read ${file}: ${errorCode(err)}` };
  }
  return passwordOfContent(file, content);
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'error';
}
