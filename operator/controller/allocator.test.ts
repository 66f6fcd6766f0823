import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Service } from '@kubernetes/client-node';
import { compilePool, type CompiledPool, type VipPool } from '../api/pool';
import { parseIP, type ParsedIP } from '../util/ip';
import { AllocationTable, type SharingTerms } from './allocationTable';
import { allocate, claimOf, mayShare, sharingTermsOf, type AllocationClaim } from './allocator';

function ip(text: string): ParsedIP {
  const p = parseIP(text);
  assert.ok(p.ok, text);
  return p.ip;
}

function pool(name: string, addresses: string[], extra: Partial<VipPool['spec']> = {}, deleting = false): CompiledPool {
  return compilePool({
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipPool',
    metadata: { name, ...(deleting ? { deletionTimestamp: '2030-01-01T00:00:00Z' } : {}) },
    spec: { addresses, ...extra },
  });
}

const terms = (over: Partial<SharingTerms> = {}): SharingTerms => ({ namespace: 'shop', trafficPolicy: 'Cluster', selector: 'app=web', ports: ['TCP/80'], ...over });

function claim(name: string, over: Partial<AllocationClaim> = {}): AllocationClaim {
  return {
    key: `shop/${name}`,
    subject: { namespace: 'shop', namespaceLabels: { team: 'a' }, labels: { app: name } },
    families: ['IPv4'],
    policy: 'SingleStack',
    sharing: terms(),
    kept: [],
    ...over,
  };
}

/** Allocate and record, as the controller does. */
function take(pools: CompiledPool[], table: AllocationTable, c: AllocationClaim): ReturnType<typeof allocate> {
  const r = allocate(pools, table, c);
  table.assign({ owner: c.key, kind: 'service', sharing: c.sharing }, r.addresses);
  return r;
}

const addrs = (r: ReturnType<typeof allocate>): string[] => r.addresses.map((a) => a.address);
const reasons = (r: ReturnType<typeof allocate>): string[] => r.failures.map((f) => f.reason);

void describe('allocate: families and policies', () => {
  const v4 = pool('v4', ['192.0.2.0/30']);
  const v6 = pool('v6', ['2001:db8::/126']);
  const cases: Array<{ name: string; c: Partial<AllocationClaim>; pools: CompiledPool[]; want: string[]; fail?: string[] }> = [
    { name: 'SingleStack IPv4', c: { families: ['IPv4'] }, pools: [v4, v6], want: ['192.0.2.0'] },
    { name: 'SingleStack IPv6', c: { families: ['IPv6'] }, pools: [v4, v6], want: ['2001:db8::'] },
    { name: 'SingleStack takes the primary family only', c: { families: ['IPv6', 'IPv4'] }, pools: [v4, v6], want: ['2001:db8::'] },
    { name: 'no ipFamilies means IPv4', c: { families: [] }, pools: [v4, v6], want: ['192.0.2.0'] },
    { name: 'PreferDualStack gets both', c: { families: ['IPv4', 'IPv6'], policy: 'PreferDualStack' }, pools: [v4, v6], want: ['192.0.2.0', '2001:db8::'] },
    { name: 'PreferDualStack without IPv6 pool gets IPv4 alone', c: { families: ['IPv4', 'IPv6'], policy: 'PreferDualStack' }, pools: [v4], want: ['192.0.2.0'] },
    { name: 'PreferDualStack without the primary family fails', c: { families: ['IPv6', 'IPv4'], policy: 'PreferDualStack' }, pools: [v4], want: ['192.0.2.0'], fail: ['NoPoolSelects'] },
    { name: 'RequireDualStack gets both', c: { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' }, pools: [v4, v6], want: ['192.0.2.0', '2001:db8::'] },
    { name: 'RequireDualStack gets nothing when a family is missing', c: { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' }, pools: [v4], want: [], fail: ['NoPoolSelects'] },
  ];
  for (const t of cases) {
    it(t.name, () => {
      const r = allocate(t.pools, new AllocationTable(), claim('web', t.c));
      assert.deepEqual(addrs(r), t.want);
      assert.deepEqual(reasons(r), t.fail ?? []);
      assert.equal(r.mode, 'Automatic');
    });
  }
});

void describe('allocate: pools', () => {
  it('takes the lowest free address of the highest-priority selecting autoAssign pool', () => {
    const pools = [pool('late', ['198.51.100.0/24']), pool('first', ['203.0.113.8-203.0.113.9'], { serviceAllocation: { priority: 1 } }), pool('manual', ['192.0.2.0/24'], { autoAssign: false, serviceAllocation: { priority: 0 } })];
    const table = new AllocationTable();
    assert.deepEqual(addrs(take(pools, table, claim('a'))), ['203.0.113.8']);
    assert.deepEqual(addrs(take(pools, table, claim('b'))), ['203.0.113.9']);
    assert.deepEqual(addrs(take(pools, table, claim('c'))), ['198.51.100.0'], 'the next pool once the first is full');
  });

  it('a pool that does not select the Service is never used', () => {
    const pools = [pool('other', ['192.0.2.0/24'], { serviceAllocation: { namespaces: ['other'] } })];
    assert.deepEqual(reasons(allocate(pools, new AllocationTable(), claim('a'))), ['NoPoolSelects']);
    const byLabel = [pool('team-b', ['192.0.2.0/24'], { serviceAllocation: { namespaceSelector: { matchLabels: { team: 'b' } } } })];
    assert.deepEqual(reasons(allocate(byLabel, new AllocationTable(), claim('a'))), ['NoPoolSelects']);
    const bySvc = [pool('db', ['192.0.2.0/24'], { serviceAllocation: { serviceSelector: { matchLabels: { app: 'db' } } } })];
    assert.deepEqual(addrs(allocate(bySvc, new AllocationTable(), claim('db'))), ['192.0.2.0']);
    assert.deepEqual(reasons(allocate(bySvc, new AllocationTable(), claim('web'))), ['NoPoolSelects']);
  });

  it('vipannouncer.io/pool names the only pool, autoAssign or not', () => {
    const pools = [pool('auto', ['192.0.2.0/24']), pool('manual', ['198.51.100.0/24'], { autoAssign: false })];
    assert.deepEqual(addrs(allocate(pools, new AllocationTable(), claim('a', { pool: 'manual' }))), ['198.51.100.0']);
    assert.deepEqual(reasons(allocate(pools, new AllocationTable(), claim('a', { pool: 'missing' }))), ['NoPoolSelects']);
  });

  it('exhaustion is PoolExhausted, naming the pools', () => {
    const pools = [pool('tiny', ['192.0.2.1-192.0.2.1'])];
    const table = new AllocationTable();
    take(pools, table, claim('a'));
    const r = take(pools, table, claim('b'));
    assert.deepEqual(reasons(r), ['PoolExhausted']);
    assert.match(r.failures[0].message, /tiny/);
  });

  it('avoidBuggyIPs skips .0 and .255; unicast only', () => {
    const pools = [pool('p', ['192.0.2.255-192.0.3.1'], { avoidBuggyIPs: true })];
    const table = new AllocationTable();
    assert.deepEqual(addrs(take(pools, table, claim('a'))), ['192.0.3.1']);
    assert.deepEqual(addrs(allocate([pool('lo', ['127.0.0.1-127.0.0.2', '192.0.2.7/32'])], new AllocationTable(), claim('a'))), ['192.0.2.7']);
  });

  it('a released address is handed out again, lowest first', () => {
    const pools = [pool('p', ['192.0.2.0/29'])];
    const table = new AllocationTable();
    for (const n of ['a', 'b', 'c']) take(pools, table, claim(n));
    table.release('shop/a');
    assert.deepEqual(addrs(take(pools, table, claim('d'))), ['192.0.2.0']);
    assert.deepEqual(addrs(take(pools, table, claim('e'))), ['192.0.2.3']);
  });

  it('keeps what it holds while a selecting pool covers it (also a pool being deleted), else allocates anew', () => {
    const table = new AllocationTable();
    const kept = [ip('192.0.2.9')];
    table.assign({ owner: 'shop/a', kind: 'service', sharing: terms() }, kept);
    assert.deepEqual(addrs(allocate([pool('p', ['192.0.2.0/24'])], table, claim('a', { kept }))), ['192.0.2.9']);
    assert.deepEqual(addrs(allocate([pool('p', ['192.0.2.0/24'], {}, true), pool('q', ['198.51.100.0/24'])], table, claim('a', { kept }))), ['192.0.2.9']);
    assert.deepEqual(addrs(allocate([pool('shrunk', ['198.51.100.0/24'])], table, claim('a', { kept }))), ['198.51.100.0']);
  });

  it('a pool being deleted hands out nothing new', () => {
    assert.deepEqual(reasons(allocate([pool('p', ['192.0.2.0/24'], {}, true)], new AllocationTable(), claim('a'))), ['NoPoolSelects']);
  });

  it('10,000 Services from a /16 get 10,000 unique addresses', () => {
    const pools = [pool('big', ['10.1.0.0/16'])];
    const table = new AllocationTable();
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) for (const a of addrs(take(pools, table, claim(`s${i}`)))) seen.add(a);
    assert.equal(seen.size, 10_000);
  });
});

void describe('allocate: requests', () => {
  const pools = [pool('p', ['192.0.2.0/24', '2001:db8::/64'])];

  it('are honoured inside a selecting pool, refused outside (AddressNotAllowed)', () => {
    const r = allocate(pools, new AllocationTable(), claim('a', { requested: [ip('192.0.2.50'), ip('8.8.8.8')] }));
    assert.deepEqual(addrs(r), ['192.0.2.50']);
    assert.deepEqual(reasons(r), ['AddressNotAllowed']);
    assert.equal(r.mode, 'Requested');
    const foreign = [pool('p', ['192.0.2.0/24'], { serviceAllocation: { namespaces: ['other'] } })];
    assert.deepEqual(reasons(allocate(foreign, new AllocationTable(), claim('a', { requested: [ip('192.0.2.50')] }))), ['AddressNotAllowed']);
  });

  it('an address held by another Service is AddressInUse, and the holder keeps it', () => {
    const table = new AllocationTable();
    take(pools, table, claim('victim', { requested: [ip('192.0.2.50')] }));
    const thief = claim('thief', { requested: [ip('192.0.2.50')], subject: { namespace: 'evil', namespaceLabels: {}, labels: {} }, sharing: terms({ namespace: 'evil' }) });
    const r = take(pools, table, { ...thief, key: 'evil/thief' });
    assert.deepEqual(reasons(r), ['AddressInUse']);
    assert.match(r.failures[0].message, /Service shop\/victim/);
    assert.deepEqual(table.holdersOf('192.0.2.50').map((h) => h.owner), ['shop/victim']);
  });

  it("beat their own namespace's hand-made announcement; an automatic allocation avoids it", () => {
    const table = new AllocationTable();
    table.assign({ owner: 'handmade:shop/handmade', kind: 'manual' }, [ip('192.0.2.0')]);
    assert.deepEqual(addrs(allocate(pools, table, claim('a'))), ['192.0.2.1']);
    assert.deepEqual(addrs(allocate(pools, table, claim('b', { requested: [ip('192.0.2.0')] }))), ['192.0.2.0']);
  });

  it("never take another namespace's hand-made announcement's address (one owner, whatever the source)", () => {
    const table = new AllocationTable();
    table.assign({ owner: 'handmade:infra/dns', kind: 'manual' }, [ip('192.0.2.0')]);
    const r = allocate(pools, table, claim('b', { requested: [ip('192.0.2.0')] }));
    assert.deepEqual([addrs(r), reasons(r)], [[], ['AddressInUse']]);
    assert.match(r.failures[0].message, /VipAnnouncement infra\/dns/);
  });

  it('no pool at all: nothing, neither a request nor a kept address (closed by default)', () => {
    const kept = allocate([], new AllocationTable(), claim('a', { kept: [ip('192.0.2.7')] }));
    const requested = allocate([], new AllocationTable(), claim('b', { requested: [ip('192.0.2.0')] }));
    assert.deepEqual([addrs(kept), reasons(kept), addrs(requested), reasons(requested)], [[], ['NoVipPool'], [], ['NoVipPool']]);
  });
});

void describe('sharing', () => {
  const cases: Array<[string, Partial<SharingTerms>, Partial<SharingTerms>, boolean]> = [
    ['same key, different ports', { key: 'k' }, { key: 'k', ports: ['TCP/443'] }, true],
    ['same port, other protocol', { key: 'k' }, { key: 'k', ports: ['UDP/80'] }, true],
    ['same key, same port', { key: 'k' }, { key: 'k' }, false],
    ['no key', {}, { ports: ['TCP/443'] }, false],
    ['different keys', { key: 'k' }, { key: 'j', ports: ['TCP/443'] }, false],
    ['different policies', { key: 'k' }, { key: 'k', ports: ['TCP/443'], trafficPolicy: 'Local' }, false],
    ['Local, same selector', { key: 'k', trafficPolicy: 'Local' }, { key: 'k', ports: ['TCP/443'], trafficPolicy: 'Local' }, true],
    ['Local, different selectors', { key: 'k', trafficPolicy: 'Local' }, { key: 'k', ports: ['TCP/443'], trafficPolicy: 'Local', selector: 'app=db' }, false],
    ['another namespace', { key: 'k' }, { key: 'k', ports: ['TCP/443'], namespace: 'evil' }, false],
  ];
  for (const [name, a, b, want] of cases) it(`mayShare: ${name} → ${want}`, () => assert.equal(mayShare(terms(a), terms(b)), want));

  it('a requested shared address is granted to a compatible Service; an automatic one joins the holder', () => {
    const pools = [pool('p', ['192.0.2.0/24'])];
    const table = new AllocationTable();
    take(pools, table, claim('http', { requested: [ip('192.0.2.9')], sharing: terms({ key: 'k' }) }));
    assert.deepEqual(addrs(take(pools, table, claim('https', { requested: [ip('192.0.2.9')], sharing: terms({ key: 'k', ports: ['TCP/443'] }) }))), ['192.0.2.9']);
    assert.deepEqual(addrs(take(pools, table, claim('dns', { sharing: terms({ key: 'k', ports: ['UDP/53'] }) }))), ['192.0.2.9']);
    assert.deepEqual(addrs(take(pools, table, claim('other', { sharing: terms({ key: 'k' }) }))), ['192.0.2.0'], 'port 80 is taken on .9');
  });
});

void describe('claimOf', () => {
  it('reads families, policy, pool, sharing key and ports from the Service', () => {
    const svc: V1Service = {
      metadata: { namespace: 'shop', name: 'web', labels: { app: 'web' }, annotations: { 'vipannouncer.io/pool': 'gold', 'vipannouncer.io/allow-shared-ip': 'k' } },
      spec: { type: 'LoadBalancer', ipFamilies: ['IPv6', 'IPv4'], ipFamilyPolicy: 'RequireDualStack', externalTrafficPolicy: 'Local', selector: { b: '2', a: '1' }, ports: [{ port: 53, protocol: 'UDP' }, { port: 80 }] },
    };
    const c = claimOf(svc, { team: 'a' }, undefined, []);
    assert.deepEqual(c.families, ['IPv6', 'IPv4']);
    assert.equal(c.policy, 'RequireDualStack');
    assert.equal(c.pool, 'gold');
    assert.equal(c.requested, undefined);
    assert.deepEqual(sharingTermsOf(svc), { key: 'k', namespace: 'shop', trafficPolicy: 'Local', selector: 'a=1,b=2', ports: ['UDP/53', 'TCP/80'] });
  });
});

void describe('allocate: requests come first, whatever order Services are reconciled in', () => {
  it('an automatic claim skips a free address another Service requests, and takes it once the request goes', () => {
    const table = new AllocationTable();
    const pools = [pool('p', ['192.0.2.0/30'])];
    const requested = new Set(['192.0.2.0']);
    const reserved = (address: string): boolean => requested.has(address);
    // The automatic Service is reconciled first: it must not take the requested address.
    assert.deepEqual(addrs(take(pools, table, claim('auto', { reserved }))), ['192.0.2.1']);
    assert.deepEqual(addrs(take(pools, table, claim('asks', { requested: [ip('192.0.2.0')] }))), ['192.0.2.0']);
    // The request went and its Service released the address: the next automatic claim gets it
    // (the range's cursor never moved past a merely reserved address).
    requested.clear();
    table.release('shop/asks');
    assert.deepEqual(addrs(take(pools, table, claim('auto-2', { reserved }))), ['192.0.2.0']);
  });

  it('the cursor stays below a reserved address: it is handed out once the reservation ends, without a release', () => {
    const table = new AllocationTable();
    const pools = [pool('p', ['192.0.2.0/30'])];
    let reservedNow = true;
    const reserved = (address: string): boolean => reservedNow && address === '192.0.2.0';
    assert.deepEqual(addrs(take(pools, table, claim('a', { reserved }))), ['192.0.2.1']);
    reservedNow = false;
    assert.deepEqual(addrs(take(pools, table, claim('b', { reserved }))), ['192.0.2.0']);
  });
});
