import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CACHE, DecisionCache, bearerToken, metricsAuthorizer, review, tokenKey, type Reviewer, type UserInfo } from './metricsAuth';

/** Tokens → users; users allowed /metrics; every call counted. */
function fakeReviewer(users: Record<string, UserInfo>, allowed: string[], fail: { authn?: Error; authz?: Error } = {}): Reviewer & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    authenticate(token) {
      calls.push(`authn ${token}`);
      return fail.authn ? Promise.reject(fail.authn) : Promise.resolve(users[token]);
    },
    authorize(user, path, verb) {
      calls.push(`authz ${user.username} ${verb} ${path}`);
      if (fail.authz) return Promise.reject(fail.authz);
      return Promise.resolve(allowed.includes(user.username) ? { allowed: true } : { allowed: false, reason: 'no RBAC policy matched' });
    },
  };
}

const reader = { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts'] };
const other = { username: 'system:serviceaccount:default:app' };
const users = { 'tok-reader': reader, 'tok-other': other };

describe('bearerToken', () => {
  it('takes the token of a Bearer header only', () => {
    assert.equal(bearerToken('Bearer abc.def'), 'abc.def');
    assert.equal(bearerToken('bearer   abc '), 'abc');
    assert.equal(bearerToken(undefined), undefined);
    assert.equal(bearerToken(''), undefined);
    assert.equal(bearerToken('Basic dXNlcjpwdw=='), undefined);
    assert.equal(bearerToken('Bearer'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
  });
});

describe('review', () => {
  it('401 for a token the API server does not accept, 403 without the grant, 200 with it', async () => {
    const r = fakeReviewer(users, [reader.username]);
    assert.deepEqual(await review(r, 'tok-unknown', '/metrics'), { status: 401, reason: 'the token was not accepted' });
    assert.deepEqual(await review(r, 'tok-other', '/metrics'), { status: 403, user: other.username, reason: 'no RBAC policy matched' });
    assert.deepEqual(await review(r, 'tok-reader', '/metrics'), { status: 200, user: reader.username });
    // The SubjectAccessReview asks about the non-resource URL with verb get, never before authentication.
    assert.deepEqual(r.calls, ['authn tok-unknown', 'authn tok-other', `authz ${other.username} get /metrics`, 'authn tok-reader', `authz ${reader.username} get /metrics`]);
  });

  it('503 when either review cannot be made', async () => {
    const down = new Error('connect ECONNREFUSED');
    assert.equal((await review(fakeReviewer(users, [], { authn: down }), 'tok-reader', '/metrics')).status, 503);
    const d = await review(fakeReviewer(users, [], { authz: down }), 'tok-reader', '/metrics');
    assert.equal(d.status, 503);
    assert.equal(d.status === 503 ? d.error : undefined, down);
  });
});

describe('metricsAuthorizer', () => {
  it('no header: 401 without asking the API server', async () => {
    const r = fakeReviewer(users, [reader.username]);
    assert.equal((await metricsAuthorizer(r)(undefined, '/metrics')).status, 401);
    assert.deepEqual(r.calls, []);
  });

  it('answers from the cache within the TTL, asks again after it', async () => {
    let now = 1_000;
    const r = fakeReviewer(users, [reader.username]);
    const check = metricsAuthorizer(r, new DecisionCache({ allowTtlMs: 60_000, denyTtlMs: 10_000, maxEntries: 10 }, () => now));
    for (let i = 0; i < 5; i++) assert.equal((await check('Bearer tok-reader', '/metrics')).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await check('Bearer tok-other', '/metrics')).status, 403);
    assert.equal(r.calls.length, 4, 'one TokenReview and one SubjectAccessReview per token');
    now += 10_001; // the denial expired, the permission not yet
    assert.equal((await check('Bearer tok-other', '/metrics')).status, 403);
    assert.equal((await check('Bearer tok-reader', '/metrics')).status, 200);
    assert.equal(r.calls.length, 6);
    now += 50_000;
    assert.equal((await check('Bearer tok-reader', '/metrics')).status, 200);
    assert.equal(r.calls.length, 8);
  });

  it('unknown tokens cost a bounded number of reviews: one per token at a time, a few in flight, a few a second; the rest 429', async () => {
    let now = 0;
    const gates: Array<() => void> = [];
    const r = fakeReviewer(users, [reader.username]);
    const slow: Reviewer & { calls: string[] } = {
      calls: r.calls,
      authenticate: (token) => new Promise((resolve) => gates.push(() => resolve(r.authenticate(token)))),
      authorize: (user, path, verb) => r.authorize(user, path, verb),
    };
    const check = metricsAuthorizer(slow, new DecisionCache(DEFAULT_CACHE, () => now), { maxInFlight: 2, perSecond: 1, burst: 3 }, () => now);
    // The same token twice at once: one review, shared.
    const same = [check('Bearer tok-x', '/metrics'), check('Bearer tok-x', '/metrics')];
    const second = check('Bearer tok-y', '/metrics');
    // Two under way: a third token is refused without asking.
    assert.deepEqual(await check('Bearer tok-z', '/metrics'), { status: 429, reason: '2 token reviews under way' });
    for (const open of gates.splice(0)) open();
    assert.deepEqual((await Promise.all([...same, second])).map((d) => d.status), [401, 401, 401]);
    assert.deepEqual(r.calls, ['authn tok-x', 'authn tok-y']);
    // One token left in the bucket (burst 3, two taken): then 429 until a second has passed.
    const third = check('Bearer tok-1', '/metrics');
    gates.splice(0).forEach((open) => open());
    assert.equal((await third).status, 401);
    assert.deepEqual(await check('Bearer tok-2', '/metrics'), { status: 429, reason: 'more than 1 token reviews a second' });
    now += 1000;
    const fourth = check('Bearer tok-2', '/metrics');
    gates.splice(0).forEach((open) => open());
    assert.equal((await fourth).status, 401);
    assert.equal(r.calls.length, 4);
    // A cached answer needs no token from the bucket.
    assert.equal((await check('Bearer tok-x', '/metrics')).status, 401);
    assert.equal(r.calls.length, 4);
  });

  it('never caches a failed review', async () => {
    const fail: { authn?: Error } = { authn: new Error('timeout') };
    const r = fakeReviewer(users, [reader.username], fail);
    const check = metricsAuthorizer(r);
    assert.equal((await check('Bearer tok-reader', '/metrics')).status, 503);
    delete fail.authn;
    assert.equal((await check('Bearer tok-reader', '/metrics')).status, 200);
  });
});

describe('DecisionCache', () => {
  it('holds at most maxEntries, dropping the oldest', () => {
    const cache = new DecisionCache({ allowTtlMs: 1000, denyTtlMs: 1000, maxEntries: 3 }, () => 0);
    for (const k of ['a', 'b', 'c', 'd']) cache.set(k, { status: 401, reason: k });
    assert.equal(cache.size, 3);
    assert.equal(cache.get('a'), undefined);
    assert.deepEqual(cache.get('d'), { status: 401, reason: 'd' });
  });

  it('a zero TTL caches nothing', () => {
    const cache = new DecisionCache({ allowTtlMs: 0, denyTtlMs: 0, maxEntries: 3 });
    cache.set('a', { status: 200, user: 'u' });
    assert.equal(cache.size, 0);
  });

  it('keys by path and a hash of the token, never the token itself', () => {
    assert.notEqual(tokenKey('t', '/metrics'), tokenKey('t', '/other'));
    assert.notEqual(tokenKey('t1', '/metrics'), tokenKey('t2', '/metrics'));
    assert.ok(!tokenKey('secret-token', '/metrics').includes('secret-token'));
  });
});
