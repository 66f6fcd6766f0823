import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import {
  canonicalIp,
  canonicalPrefix,
  compareIp,
  compareIPs,
  comparePrefix,
  hostPrefix,
  ipFamily,
  isIpv4Mapped,
  parseAnnounceableIP,
  parseIP,
  splitHostPort,
  type ParsedIP,
} from './ip';

void describe('parseIP', () => {
  // Expected canonical forms were checked against Go's net/netip, which the API server's CEL uses.
  const cases: Array<[string, string | null]> = [
    ['203.0.113.10', '203.0.113.10'],
    ['2001:DB8::10', '2001:db8::10'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['0:0:1:0:0:0:0:0', '0:0:1::'],
    ['::1.2.3.4', '::102:304'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['01.2.3.4', null], // leading zero: octal or decimal? rejected, as netip does
    ['::ffff:1.2.3.4', null], // IPv4-mapped
    ['fe80::1%eth0', null], // zone
    ['203.0.113.10/32', null],
    [' 203.0.113.10', null],
    ['web.example', null],
    ['', null],
  ];
  for (const [input, want] of cases) {
    void it(`${JSON.stringify(input)} → ${want ?? 'rejected'}`, () => {
      const got = parseIP(input);
      assert.equal(got.ok ? got.ip.address : null, want);
    });
  }
});

void describe('parseAnnounceableIP', () => {
  const cases: Array<[string, boolean]> = [
    ['10.0.0.1', true],
    ['203.0.113.10', true],
    ['2001:db8::10', true],
    ['fec0::1', true],
    ['0.0.0.0', false],
    ['255.255.255.255', false],
    ['127.0.0.1', false],
    ['169.254.1.1', false],
    ['224.0.0.1', false],
    ['239.255.255.255', false],
    ['::', false],
    ['::1', false],
    ['fe80::1', false],
    ['febf::1', false],
    ['ff02::1', false],
  ];
  for (const [input, ok] of cases) {
    void it(`${input} ${ok ? 'is' : 'is not'} announceable`, () => {
      assert.equal(parseAnnounceableIP(input).ok, ok);
    });
  }
});

void describe('ordering and prefixes', () => {
  const ip = (s: string): ParsedIP => {
    const p = parseIP(s);
    assert.ok(p.ok);
    return p.ip;
  };
  void it('sorts IPv4 before IPv6, numerically', () => {
    const sorted = ['2001:db8::2', '10.0.0.10', '2001:db8::10', '10.0.0.9'].map(ip).sort(compareIPs);
    assert.deepEqual(sorted.map((x) => x.address), ['10.0.0.9', '10.0.0.10', '2001:db8::2', '2001:db8::10']);
  });
  void it('canonicalPrefix normalises and rejects', () => {
    assert.equal(canonicalPrefix('2001:DB8:0::10/128'), '2001:db8::10/128');
    assert.equal(canonicalPrefix('203.0.113.10/32'), '203.0.113.10/32');
    assert.equal(canonicalPrefix('203.0.113.10/33'), undefined);
    assert.equal(canonicalPrefix('203.0.113.10'), undefined);
  });
});

void test('ipFamily refuses zone ids and non-canonical IPv4', () => {
  const cases: Array<[string, 4 | 6 | undefined]> = [
    ['192.0.2.1', 4],
    ['2001:db8::1', 6],
    ['::', 6],
    ['fe80::1%eth0', undefined],
    ['01.2.3.4', undefined],
    ['192.0.2.300', undefined],
    ['host', undefined],
  ];
  for (const [text, want] of cases) assert.equal(ipFamily(text), want, text);
});

void test('canonicalIp follows RFC 5952 like Go', () => {
  const cases: Array<[string, string | undefined]> = [
    ['2001:DB8:0:0:0:0:0:10', '2001:db8::10'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['192.0.2.1', '192.0.2.1'],
    ['nope', undefined],
  ];
  for (const [text, want] of cases) assert.equal(canonicalIp(text), want, text);
});

void test('prefix helpers', () => {
  assert.equal(hostPrefix('203.0.113.10'), '203.0.113.10/32');
  assert.equal(hostPrefix('2001:DB8::10'), '2001:db8::10/128');
  assert.equal(hostPrefix('x'), undefined);
  assert.equal(canonicalPrefix('2001:DB8:0::10/128'), '2001:db8::10/128');
  assert.equal(canonicalPrefix('10.0.0.1/33'), undefined);
  assert.equal(canonicalPrefix('garbage'), undefined);
  assert.ok(isIpv4Mapped('::ffff:10.0.0.1'));
  assert.ok(!isIpv4Mapped('2001:db8::1'));
  assert.deepEqual(['2001:db8::1', '10.0.0.10', '10.0.0.9', 'zz'].sort(compareIp), ['10.0.0.9', '10.0.0.10', '2001:db8::1', 'zz']);
});

void test('splitHostPort', () => {
  assert.deepEqual(splitHostPort('127.0.0.1:50051'), { host: '127.0.0.1', port: 50051 });
  assert.deepEqual(splitHostPort('[::1]:179'), { host: '::1', port: 179 });
  assert.equal(splitHostPort('::1:179'), undefined);
  assert.equal(splitHostPort('[127.0.0.1]:179'), undefined);
  assert.equal(splitHostPort('127.0.0.1:0'), undefined);
  assert.equal(splitHostPort('127.0.0.1:65536'), undefined);
  assert.equal(splitHostPort('127.0.0.1'), undefined);
});

void test('parseIP says why it refuses', () => {
  const reason = (text: string): string => {
    const p = parseIP(text);
    return p.ok ? 'accepted' : p.reason;
  };
  assert.match(reason('fe80::1%eth0'), /zone/);
  assert.match(reason('::ffff:1.2.3.4'), /IPv4-mapped/);
  assert.match(reason('web.example'), /not an IPv4 or IPv6 address/);
});

void test('comparePrefix orders exactly as comparing address, then length, then text (random prefixes, IPv4, IPv6, junk)', () => {
  const pool = ['10.0.0.1', '10.0.0.10', '9.255.255.255', '::1', '2001:db8::', '2001:DB8::1', '::ffff:10.0.0.1', 'fe80::1%eth0', 'not-an-ip', ''];
  const lens = ['', '/0', '/8', '/32', '/032', '/128', '/abc', '/', '/32/1'];
  const texts = pool.flatMap((ip) => lens.map((l) => ip + l));
  const slow = (a: string, b: string): number => {
    const [ia = '', la = ''] = a.split('/');
    const [ib = '', lb = ''] = b.split('/');
    return compareIp(ia, ib) || Number(la) - Number(lb) || (a < b ? -1 : a > b ? 1 : 0);
  };
  for (const a of texts) for (const b of texts) assert.equal(Math.sign(comparePrefix(a, b)), Math.sign(slow(a, b)), `${a} vs ${b}`);
});
