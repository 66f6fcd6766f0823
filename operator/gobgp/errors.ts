// A failed call to gobgpd, whichever client made it: which RPC, what kind of failure, and
// gobgpd's own words.
import type { GobgpErrorKind } from './codec';

export class GobgpError extends Error {
  override name = 'GobgpError';
  constructor(
    /** The RPC that failed, e.g. "AddPeer". */
    readonly rpc: string,
    readonly kind: GobgpErrorKind,
    /** gRPC status code, when the failure came from gRPC. */
    readonly code: number | undefined,
    /** gobgpd's own text (or gRPC's). */
    readonly details: string,
  ) {
    super(`gobgpd ${rpc}: ${details} (${kind})`);
  }
}
