// How far this speaker has acted on the VipAnnouncements, as one resourceVersion the
// controller compares with the one at which it first saw an announcement's generation.
//
// resourceVersions are compared as integers: the API server hands out etcd revisions, which
// grow with every write in the cluster (an assumption Kubernetes documents as opaque; every
// supported API server keeps it). A watch delivers events in revision order, so once a table
// sync that started after the event at revision R has finished, gobgpd reflects R.
//
// value(): while an event that changed a spec waits for the next table sync, the revision
// the last finished sync started at; otherwise every revision seen (status-only events do
// not change the table). No list of pending keys is needed: an announcement is acted on
// exactly when its revision is at or below value().
export class ActedWatermark {
  /** Highest revision of any announcement event. */
  private seen = 0;
  /** Highest revision of an event that changed what the table is made of. */
  private specSeen = 0;
  /** `seen` when the last finished table sync started. */
  private acted = 0;

  observe(resourceVersion: string | undefined, changesTable: boolean): void {
    const rv = Number(resourceVersion);
    if (!Number.isSafeInteger(rv)) return;
    this.seen = Math.max(this.seen, rv);
    if (changesTable) this.specSeen = Math.max(this.specSeen, rv);
  }

  /** A table sync begins; hand the token to syncDone once it succeeded. */
  syncStarted(): number {
    return this.seen;
  }

  syncDone(token: number): void {
    this.acted = Math.max(this.acted, token);
  }

  value(): number {
    return this.specSeen > this.acted ? this.acted : this.seen;
  }
}
