// What this node announces for Services, decided from the Services, EndpointSlices and pools
// the speaker watches, before (and without waiting for) the VipAnnouncement the controller
// writes: a first install is then bounded by BGP, not by one API write per Service, and an
// endpoint or attribute change reaches gobgpd without the controller's round trip.
//
// The VipAnnouncement stays the record (status) and the source wherever the speaker cannot
// decide alone:
//   requested address      taken from the Service (annotation, spec.loadBalancerIP); the pool
//                          check is the speaker's own (ServiceSubject below)
//   automatic address      the announcement's addresses; with no announcement yet, the
//                          Service's ingress the controller wrote (one per family)
//   an address two keys claim (two Services, or a Service and a hand-made announcement: a
//                          conflict, or a sharing only the controller's allocation table can
//                          judge)  → only the announcements say who announces it
//   hand-made announcement, Service not ours or going away, or no Service in the cache
//                          → the announcement as it is
// Everything else of a Service's announcement (policy, nodes, endpoints, communities,
// local-pref) comes from the Service and its slices, exactly as the controller computes it
// (intent/desiredAnnouncement.ts): the property test in serviceAnnouncements.test.ts checks
// that, once the controller caught up, the speaker announces what the announcements say.
import { allocationModeOf, isServiceAnnouncement } from '../api/announces';
import { parseIP } from '../util/ip';
import { desiredAnnouncement } from '../intent/desiredAnnouncement';
import type { CachedEndpointSlice, CachedService, SpeakerAnnouncement } from '../kube/cachedKinds';
import { objectKey } from '../kube/resources';
import { sortedUnique } from '../util/lists';
import { ANNOTATIONS, API_VERSION, KIND } from '../api/types';

/** What the pool check of a Service-derived announcement needs to know of its Service. */
export interface ServiceSubject {
  labels: Readonly<Record<string, string>> | undefined;
  /** vipannouncer.io/pool: only this pool. */
  pool?: string;
  /** Addresses its announcement holds: a pool being deleted still covers them. */
  held: ReadonlySet<string>;
  /** What the Service requests (canonical), announced or not yet. */
  requested: readonly string[];
}

export interface ServiceAnnouncementsInput {
  services: readonly CachedService[];
  slicesOf: (serviceKey: string) => readonly CachedEndpointSlice[];
  announcements: readonly SpeakerAnnouncement[];
  /** loadBalancerClass values the controller handles ('' = no class). */
  loadBalancerClasses: readonly string[];
}

export interface ServiceAnnouncements {
  /** The announcements to decide paths from: derived ones replace the stored one of their key. */
  announcements: SpeakerAnnouncement[];
  /** Keys of the derived ones, with what the pool check needs of their Service. */
  derived: Map<string, ServiceSubject>;
}

/** Two or more keys list the address. */
const MANY = Symbol('many');

export type Draft = { a: SpeakerAnnouncement; subject: ServiceSubject } | undefined;

/** What a draft was made of: the cache's own objects (an informer replaces an object that changed). */
interface Made {
  svc: CachedService;
  slices: readonly CachedEndpointSlice[];
  stored: SpeakerAnnouncement | undefined;
}

/**
 * Each Service's draft from the previous call, kept while the objects it was made of are the
 * same ones: a table sync after one change re-derives one Service, not all of them.
 */
export class DraftMemo {
  private entries = new Map<string, { made: Made; draft: Draft }>();
  private seen = new Set<string>();

  get(key: string, made: Made, derive: () => Draft): Draft {
    this.seen.add(key);
    const hit = this.entries.get(key);
    if (hit && sameInputs(hit.made, made)) {
      hit.made = made;
      return hit.draft;
    }
    const draft = derive();
    this.entries.set(key, { made, draft });
    return draft;
  }

  /** Whether gobgpd's table reflects the drafts: set by commit(), cleared by the next call. */
  private committed = false;
  /** The last call's claims (canonical address → the one key listing it, or MANY). */
  private claims = new Map<string, string | typeof MANY>();

  /** The call's claims; with `addresses` (a partial call), they replace only those addresses' claims. */
  recordClaims(claims: Map<string, string | typeof MANY>, addresses?: Iterable<string>): void {
    if (!addresses) {
      this.claims = claims;
      return;
    }
    for (const a of addresses) this.claims.delete(canonical(a));
    for (const [a, c] of claims) this.claims.set(a, c);
  }

  /** The draft the latest call made for this Service, committed or not (what it claims). */
  latest(key: string): Draft {
    return this.entries.get(key)?.draft;
  }

  /** At the last committed call, only `key` listed this address (dropping it frees nothing for another key). */
  claimedOnlyBy(address: string, key: string): boolean {
    return this.committed && this.claims.get(canonical(address)) === key;
  }

  /** The table sync that made the drafts succeeded. */
  commit(): void {
    this.committed = true;
  }

  /** The draft the last committed call made for this Service (undefined: none, not ours, or a sync in flight or failed). */
  peek(key: string): Draft {
    return this.committed ? this.entries.get(key)?.draft : undefined;
  }

  /** Forget the Services the last call did not ask for (deleted ones); a partial call, only among its `keys`. */
  sweep(keys?: ReadonlySet<string>): void {
    this.committed = false;
    for (const key of keys ?? this.entries.keys()) if (!this.seen.has(key)) this.entries.delete(key);
    this.seen = new Set();
  }
}

function sameInputs(a: Made, b: Made): boolean {
  if (a.svc !== b.svc || a.slices.length !== b.slices.length || a.slices.some((s, i) => s !== b.slices[i])) return false;
  // The announcement's status writes replace it in the cache: only what deriveOne reads counts.
  return a.stored === b.stored || storedInput(a.stored) === storedInput(b.stored);
}

function storedInput(stored: SpeakerAnnouncement | undefined): string {
  return stored ? `${isServiceAnnouncement(stored)}|${allocationModeOf(stored) ?? ''}|${(stored.spec.addresses ?? []).join(',')}` : '-';
}

/**
 * A partial call (nodeTable.ts): the Services and announcements of `keys` only, which together
 * are all that claim `addresses`; the memo keeps what it knows of every other key.
 */
export interface PartialScope {
  keys: ReadonlySet<string>;
  addresses: ReadonlySet<string>;
}

export function serviceAnnouncements(input: ServiceAnnouncementsInput, memo?: DraftMemo, scope?: PartialScope): ServiceAnnouncements {
  const stored = new Map<string, SpeakerAnnouncement>();
  for (const a of input.announcements) stored.set(objectKey(a), a);
  const drafts = new Map<string, { a: SpeakerAnnouncement; subject: ServiceSubject }>();
  for (const svc of input.services) {
    const key = objectKey(svc);
    const draft = draftOf(key, svc, input.slicesOf(key), stored.get(key), input.loadBalancerClasses, memo);
    if (draft) drafts.set(key, draft);
  }
  memo?.sweep(scope?.keys);
  const claims = claimsByAddress(input.announcements, drafts);
  memo?.recordClaims(claims, scope?.addresses);
  const contested = (address: string): boolean => claims.get(canonical(address)) === MANY;
  const announcements: SpeakerAnnouncement[] = [];
  for (const [key, a] of stored) if (!drafts.has(key)) announcements.push(a);
  const derived = new Map<string, ServiceSubject>();
  for (const [key, { a, subject }] of drafts) {
    derived.set(key, subject);
    const mine = a.spec.addresses ?? [];
    const recorded = (stored.get(key)?.spec.addresses ?? []).filter(contested);
    if (recorded.length === 0 && !mine.some(contested)) {
      announcements.push(a); // the common case: no new object per sync
      continue;
    }
    const addresses = sortedUnique([...mine.filter((ip) => !contested(ip)), ...recorded]);
    announcements.push({ ...a, spec: { ...a.spec, addresses } });
  }
  return { announcements, derived };
}

function draftOf(key: string, svc: CachedService, slices: readonly CachedEndpointSlice[], stored: SpeakerAnnouncement | undefined, classes: readonly string[], memo: DraftMemo | undefined): Draft {
  const derive = (): Draft => deriveOne(svc, slices, stored, classes);
  return memo ? memo.get(key, { svc, slices, stored }, derive) : derive();
}

/**
 * Every address the key's Service and announcement may claim (canonical): what its announcement
 * lists, its draft's addresses and its Service's requests. Two keys that claim no address in
 * common decide independently of each other (nodeTable.ts relies on it).
 */
export function claimedAddresses(key: string, svc: CachedService | undefined, slices: readonly CachedEndpointSlice[], stored: SpeakerAnnouncement | undefined, classes: readonly string[], memo: DraftMemo): string[] {
  return claimsOf(stored, svc ? draftOf(key, svc, slices, stored, classes, memo) : undefined);
}

/** claimedAddresses of a draft already made (DraftMemo.latest). */
export function claimsOf(stored: SpeakerAnnouncement | undefined, draft: Draft): string[] {
  const all = [...(stored?.spec.addresses ?? []), ...(draft?.a.spec.addresses ?? []), ...(draft?.subject.requested ?? [])];
  return sortedUnique(all.map(canonical));
}

/** The Service's announcement as the controller would write it (addresses as the header says), or undefined when the stored one decides. */
function deriveOne(svc: CachedService, slices: readonly CachedEndpointSlice[], stored: SpeakerAnnouncement | undefined, classes: readonly string[]): { a: SpeakerAnnouncement; subject: ServiceSubject } | undefined {
  if (stored && !isServiceAnnouncement(stored)) return undefined; // a hand-made one holds the name
  const d = desiredAnnouncement({ service: svc, endpointSlices: slices, config: { loadBalancerClasses: classes }, previousMode: allocationModeOf(stored) });
  if (d.kind !== 'announce') return undefined;
  const addresses = d.requested !== undefined ? d.spec.addresses ?? [] : stored ? stored.spec.addresses ?? [] : onePerFamily(d.spec.addresses ?? []);
  const meta = svc.metadata;
  const a: SpeakerAnnouncement = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: meta?.name ?? '', namespace: meta?.namespace ?? '' },
    spec: { ...d.spec, addresses },
  };
  const pool = meta?.annotations?.[ANNOTATIONS.pool]?.trim();
  const subject: ServiceSubject = { labels: meta?.labels, ...(pool ? { pool } : {}), held: new Set((stored?.spec.addresses ?? []).map(canonical)), requested: (d.requested ?? []).map((ip) => ip.address) };
  return { a, subject };
}

/**
 * The ingress's addresses, unless a family has several: which one the controller keeps
 * depends on its allocation table (pool priority, holders), so that family waits for it.
 */
function onePerFamily(addresses: readonly string[]): string[] {
  const count = (family: 4 | 6): number => addresses.filter((a) => familyOf(a) === family).length;
  return addresses.filter((a) => count(familyOf(a)) === 1);
}

/** Canonical address → the one key that lists it, or MANY (a stored and a derived one of the same key count once). */
function claimsByAddress(stored: readonly SpeakerAnnouncement[], drafts: ReadonlyMap<string, { a: SpeakerAnnouncement }>): Map<string, string | typeof MANY> {
  const out = new Map<string, string | typeof MANY>();
  const claim = (key: string, a: SpeakerAnnouncement): void => {
    for (const address of a.spec.addresses ?? []) {
      const c = canonical(address);
      const had = out.get(c);
      out.set(c, had === undefined || had === key ? key : MANY);
    }
  };
  for (const a of stored) claim(objectKey(a), a);
  for (const [key, { a }] of drafts) claim(key, a);
  return out;
}

function familyOf(address: string): 4 | 6 {
  const p = parseIP(address);
  return p.ok ? p.ip.family : 4;
}

function canonical(address: string): string {
  const p = parseIP(address);
  return p.ok ? p.ip.address : address;
}
