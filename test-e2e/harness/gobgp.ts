// The lab's GoBGP for tests: its gobgpd and gobgp binaries, and a client of the API
// its daemon serves (hack/lab.sh LAB_GOBGP picks v4, v3 or Debian's 3.10).
import path from 'node:path';
import { GobgpClient, GobgpV4Client, type GobgpClientOptions } from '../../operator/gobgp/client';
import { lab } from './lab';

/** Absolute path of the lab's gobgpd or gobgp CLI (never one that happens to be on PATH). */
export function gobgpBinary(name: 'gobgpd' | 'gobgp'): string {
  return path.join(lab().gobgp.binDir, name);
}

/** A client of the API the lab's gobgpd serves. */
export function labClient(target: string, options: GobgpClientOptions = {}): GobgpClient {
  return lab().gobgp.api === 'v4' ? new GobgpV4Client(target, options) : new GobgpClient(target, options);
}

/** "v4.8.0 (v4 API)"-style name for test titles. */
export function gobgpName(): string {
  const g = lab().gobgp;
  return g.flavour === 'debian' ? 'gobgpd 3.10 of Debian (v3 API)' : `gobgpd ${path.basename(g.binDir)} (${g.api} API)`;
}
