// A failed call to gobgpd, whichever client made it: which RPC, what kind of failure, and
// gobgpd's own words; and a request refused before it is sent.

/**
 * What went wrong, for the caller's decision. gobgpd answers almost every
 * refusal with gRPC UNKNOWN (2) and a Go error string, so the kind is read
 * from the text: these strings are gobgpd 3.x's own.
 */
export type GobgpErrorKind =
  | 'not-started' // "bgp server hasn't started yet"
  | 'exists' // AddPeer on a configured peer; StartBgp on a running daemon with another config
  | 'not-found' // unknown neighbor, or no local path with that uuid
  | 'unavailable' // daemon not reachable / connection dropped (UNAVAILABLE)
  | 'timeout' // our deadline passed (DEADLINE_EXCEEDED)
  | 'cancelled'
  | 'ended' // a stream that should not end finished cleanly (watch)
  | 'rejected'; // any other refusal

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

/** A request we refuse to send: the spec is not one gobgpd could take (thrown before any I/O). */
export class InvalidSpecError extends Error {
  override name = 'InvalidSpecError';
}
