import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gobgpTargetProblem } from './gobgpTarget';

void test('gobgp target: loopback host:port or unix:///absolute, with a reason otherwise', () => {
  const cases: Array<[string, boolean, RegExp | undefined]> = [
    ['127.0.0.1:50051', false, undefined],
    ['127.9.8.7:1', false, undefined],
    ['[::1]:50051', false, undefined],
    ['[0:0:0:0:0:0:0:1]:50051', false, undefined],
    ['localhost:65535', false, undefined],
    ['unix:///run/gobgp/gobgp.sock', false, undefined],
    ['unix:relative.sock', false, /unix:\/\/\/absolute/],
    ['unix:///', false, /unix:\/\/\/absolute/],
    ['unix:///run/my sock', false, /blank or NUL/],
    ['127.0.0.1:99999', false, /port outside/],
    ['localhost:0', false, /port outside/],
    ['::1:50051', false, /neither host:port/],
    ['[127.0.0.1]:50051', false, /brackets must hold an IPv6/],
    ['[::ffff:127.0.0.1]:50051', false, /brackets must hold an IPv6/],
    ['gobgpd', false, /neither host:port/],
    ['dns:///localhost:50051', false, /neither host:port/],
    ['10.0.0.1:50051', false, /not loopback/],
    ['[2001:db8::1]:50051', false, /not loopback/],
    ['gobgp.example.com:50051', false, /not loopback/],
    ['10.0.0.1:50051', true, undefined],
    ['gobgp.example.com:50051', true, undefined],
    ['bad_host!:50051', true, /invalid host/],
  ];
  for (const [target, allowRemote, want] of cases) {
    const got = gobgpTargetProblem(target, allowRemote);
    if (want === undefined) assert.equal(got, undefined, target);
    else assert.match(got ?? '<accepted>', want, target);
  }
});
