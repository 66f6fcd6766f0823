// The peers' TCP MD5 passwords as the speaker applies them, kept in step with their files.
//
// A passwordFile is a mounted Secret: the kubelet replaces its content (atomically, by swapping
// the volume's `..data` symlink) when the Secret changes, without restarting the Pod. Each file
// is re-read every few seconds (polling, not inotify: it sees the symlink swap, works on every
// volume type, and costs a few small reads); a new valid password is taken and the table
// re-synced, which re-creates that peer in gobgpd with it.
//
// A file that turns unreadable, empty or longer than 80 bytes is refused: logged as an error
// naming the peer and the field, counted in vipannouncer_peer_password_problem, and the last
// good password stays in use, so a broken Secret never silently takes down a working session
// (what MetalLB users expect). Passwords and fingerprints are never logged.
import { readFileSync } from 'node:fs';
import { readPasswordFile, type PasswordRead, type PeerConfig, type Secret } from '../config';
import { secretFingerprint } from '../util/fingerprint';
import type { Log } from '../util/log';
import { metrics } from '../util/metrics';

/** How often password files are re-read. */
export const PASSWORD_POLL_MS = 2_000;

export interface PeerPasswordsOptions {
  peers: readonly PeerConfig[];
  nodeName: string;
  log: Log;
  /** A peer got a new password (its address): the table should be synced. */
  onChange: (peer: string) => void;
  /** Reads a file's text (tests). */
  read?: (file: string) => string;
}

interface WatchedFile {
  peer: string;
  /** The config field, for messages: speaker.peers[i].passwordFile. */
  field: string;
  path: string;
  /** Fingerprint of the file's last content (or of its read error): unchanged files are not checked again. */
  seen: string;
  /** The last problem reported, until the file is good again. */
  problem?: string;
}

export class PeerPasswords {
  /** Peer index → the password to apply (inline, or the file's last good one). */
  private readonly current = new Map<number, Secret>();
  /** Peer index → its password file. */
  private readonly files = new Map<number, WatchedFile>();
  private readonly read: (file: string) => string;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: PeerPasswordsOptions) {
    this.read = opts.read ?? ((f) => readFileSync(f, 'utf8'));
    opts.peers.forEach((peer, i) => {
      // The load read every file once and refused a bad one: this is the first good content.
      if (peer.password !== undefined) this.current.set(i, peer.password);
      if (peer.passwordPath === undefined) return;
      this.files.set(i, { peer: peer.address, field: `speaker.peers[${i}].passwordFile`, path: peer.passwordPath, seen: '' });
      metrics.peerPasswordProblem.set({ node: opts.nodeName, peer: peer.address }, 0);
    });
    // A file may have changed since the load read it: the first table sync takes what it holds now.
    this.poll();
  }

  /** The password peer `index` of the configuration is to have in gobgpd now. */
  passwordOf(index: number): Secret | undefined {
    return this.current.get(index);
  }

  start(periodMs = PASSWORD_POLL_MS): void {
    if (this.timer || this.files.size === 0) return;
    this.timer = setInterval(() => this.poll(), periodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Re-reads every password file; returns the addresses of the peers whose password changed. */
  poll(): string[] {
    const changed: string[] = [];
    for (const [index, file] of this.files) {
      const now = this.snapshot(file.path);
      if (now.key === file.seen) continue;
      file.seen = now.key;
      if (this.check(index, file, now.read)) changed.push(file.peer);
    }
    for (const peer of changed) this.opts.onChange(peer);
    return changed;
  }

  /** A file whose content changed: take a good password, refuse a bad one. True when the password changed. */
  private check(index: number, file: WatchedFile, got: PasswordRead): boolean {
    const fields = { peer: file.peer, field: file.field, file: file.path };
    const labels = { node: this.opts.nodeName, peer: file.peer };
    if (!got.ok) {
      file.problem = got.problem;
      metrics.peerPasswordProblem.set(labels, 1);
      this.opts.log.error('peer password refused; gobgpd keeps the last good one for this peer', { ...fields, problem: got.problem });
      return false;
    }
    if (file.problem !== undefined) this.opts.log.info('peer password file usable again', fields);
    file.problem = undefined;
    metrics.peerPasswordProblem.set(labels, 0);
    const before = this.current.get(index);
    // Another spelling of the same password (a trailing newline added) changes nothing.
    if (before !== undefined && before.reveal() === got.password.reveal()) return false;
    this.current.set(index, got.password);
    this.opts.log.info('peer password changed; applying it to gobgpd (the session restarts)', fields);
    return true;
  }

  /** The file read once: its content's fingerprint (or its read problem) and the password in it. */
  private snapshot(path: string): { key: string; read: PasswordRead } {
    let key: string | undefined;
    const read = readPasswordFile(path, (f) => {
      const text = this.read(f);
      key = secretFingerprint(text);
      return text;
    });
    return { key: key ?? (read.ok ? '' : read.problem), read };
  }
}
