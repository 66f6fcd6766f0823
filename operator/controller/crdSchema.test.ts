// Keeps the CRD, its samples and the controller's output in agreement without an API
// server: the schema is structural, SPEC_LIMITS match its bounds, and every spec the
// controller computes passes the OpenAPI part (ajv) plus a JS mirror of its CEL rules.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import { load } from 'js-yaml';
import type { V1Endpoint } from '@kubernetes/client-node';
import { ANNOTATIONS, SPEC_LIMITS, type VipAnnouncementSpec } from '../api/types';
import { compilePool, POOL_LIMITS, type VipPool } from '../api/pool';
import { desiredAnnouncement, specsEqual } from '../intent/desiredAnnouncement';
import { parseIP, parseAnnounceableIP } from '../util/ip';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  maxItems?: number;
  enum?: unknown[];
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: Array<{ rule: string; message?: string }>;
  [key: string]: unknown;
}

interface Crd {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular: string; shortNames: string[] };
    versions: Array<{ name: string; served: boolean; storage: boolean; subresources?: { status?: object }; schema: { openAPIV3Schema: Schema } }>;
  };
}

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'crds'))) {
    const up = dirname(dir);
    assert.notEqual(up, dir, 'crds/ not found above the test');
    dir = up;
  }
  return dir;
}
const ROOT = repoRoot();
const readYaml = (rel: string): unknown => load(readFileSync(join(ROOT, rel), 'utf8'));

const crd = readYaml('crds/vipannouncements.vipannouncer.io.yaml') as Crd;
const version = crd.spec.versions[0];
const schema = version.schema.openAPIV3Schema;
const specSchema = schema.properties?.spec as Schema;

/** Structural schema rules the API server checks that can go wrong by hand. */
function structuralErrors(s: Schema, path: string, allowedKeywords: readonly string[] = []): string[] {
  const errors: string[] = [];
  if (!s.type) errors.push(`${path}: no type`);
  if (s.type === 'array') {
    if (!s.items) errors.push(`${path}: array without items`);
    else errors.push(...structuralErrors(s.items, `${path}[]`, allowedKeywords));
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'set' && s.items?.type === 'object') errors.push(`${path}: set of objects`);
    if (listType === 'map') {
      for (const key of s['x-kubernetes-list-map-keys'] ?? []) {
        if (!s.items?.required?.includes(key)) errors.push(`${path}: map key ${key} not required`);
      }
    }
    // CEL cost estimation needs bounds on lists and on strings inside them.
    if (s.maxItems === undefined && path !== '') errors.push(`${path}: unbounded list`);
  }
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    errors.push(...structuralErrors(child, `${path}.${name}`, allowedKeywords));
  }
  for (const k of ['anyOf', 'oneOf', 'allOf', 'not', 'additionalProperties']) {
    if (k in s && !allowedKeywords.includes(k)) errors.push(`${path}: ${k} is not used by this CRD; check structural rules before adding it`);
  }
  return errors;
}

/**
 * The object-level CEL rules of the spec, mirrored in JS and keyed by their exact text, so
 * a rule changed in the CRD fails the test below until its mirror is changed too.
 */
const OBJECT_RULES: Record<string, (spec: VipAnnouncementSpec) => boolean> = {
  "self.externalTrafficPolicy != 'Cluster' || !has(self.nodes) || size(self.nodes) == 0": (spec) =>
    (spec.externalTrafficPolicy ?? 'Cluster') !== 'Cluster' || (spec.nodes ?? []).length === 0,
  'self.serving >= self.ready': (spec) => !spec.endpoints || spec.endpoints.serving >= spec.endpoints.ready,
};

function ruleTexts(s: Schema | undefined): string[] {
  return (s?.['x-kubernetes-validations'] ?? []).map((v) => v.rule);
}

/** The CEL rules of the spec, mirrored in JS (the API server evaluates the real ones). */
function celErrors(spec: VipAnnouncementSpec): string[] {
  const errors: string[] = [];
  for (const a of spec.addresses ?? []) {
    const p = parseAnnounceableIP(a);
    if (!p.ok || p.ip.address !== a) errors.push(`address ${a}`);
  }
  for (const [rule, holds] of Object.entries(OBJECT_RULES)) if (!holds(spec)) errors.push(rule);
  for (const c of spec.communities ?? []) if (c.split(':').some((p) => Number(p) > 0xffff)) errors.push(`community ${c}`);
  for (const c of spec.largeCommunities ?? []) if (c.split(':').some((p) => Number(p) > 0xffffffff)) errors.push(`large ${c}`);
  return errors;
}

const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
const validateObject = ajv.compile(schema);

function schemaErrors(obj: unknown): string[] {
  return validateObject(obj) ? [] : (validateObject.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

void describe('CRD', () => {
  void it('names, scope, version and status subresource', () => {
    assert.equal(crd.spec.group, 'vipannouncer.io');
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual(crd.spec.names.shortNames, ['vipa']);
    assert.equal(crd.spec.names.plural, 'vipannouncements');
    assert.equal(version.name, 'v1alpha1');
    assert.ok(version.served && version.storage);
    assert.ok(version.subresources?.status);
  });

  void it('is structural', () => {
    assert.deepEqual(structuralErrors(schema, ''), []);
  });

  void it('SPEC_LIMITS match the schema bounds', () => {
    for (const [field, limit] of Object.entries(SPEC_LIMITS)) {
      assert.equal(specSchema.properties?.[field]?.maxItems, limit, field);
    }
  });

  void it('peer states are the GoBGP session states plus Unknown', () => {
    const peer = schema.properties?.status?.properties?.speakers?.items?.properties?.peers?.items;
    assert.deepEqual(peer?.properties?.state?.enum, ['Unknown', 'Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established']);
  });

  for (const sample of ['service', 'handmade']) {
    void it(`sample ${sample} is valid`, () => {
      const obj = readYaml(`config/samples/vipannouncer_v1alpha1_vipannouncement_${sample}.yaml`) as { spec: VipAnnouncementSpec };
      assert.deepEqual(schemaErrors(obj), []);
      assert.deepEqual(celErrors(obj.spec), []);
    });
  }

  void it('every object-level rule of the spec has its JS mirror, word for word', () => {
    const rules = [...ruleTexts(specSchema), ...ruleTexts(specSchema.properties?.endpoints)];
    assert.deepEqual(rules.sort(), Object.keys(OBJECT_RULES).sort());
  });

  void it('the invalid fixture is rejected on many fields', () => {
    const obj = readYaml('test-e2e/fixtures/invalid-vipannouncement.yaml') as { spec: VipAnnouncementSpec };
    const errors = [...schemaErrors(obj), ...celErrors(obj.spec)];
    assert.ok(errors.length >= 8, errors.join('\n'));
  });
});

void describe('controller output fits the CRD', () => {
  const services: Array<{ policy: string; annotations: Record<string, string> }> = [
    { policy: 'Local', annotations: { [ANNOTATIONS.loadBalancerIPs]: '2001:DB8::1,203.0.113.1,bad', [ANNOTATIONS.communities]: 'no-export,0065000:0100,1:99999' } },
    { policy: 'Cluster', annotations: { [ANNOTATIONS.largeCommunities]: '4294967295:0:1', [ANNOTATIONS.localPref]: '0' } },
    { policy: 'Cluster', annotations: { [ANNOTATIONS.loadBalancerIPs]: Array.from({ length: 50 }, (_, i) => `10.0.${i}.1`).join(',') } },
  ];
  services.forEach((s, i) => {
    void it(`case ${i} (${s.policy})`, () => {
      const d = desiredAnnouncement({
        service: {
          metadata: { name: 'web', namespace: 'shop', uid: 'u', annotations: s.annotations },
          spec: { type: 'LoadBalancer', externalTrafficPolicy: s.policy },
          status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } },
        },
        endpointSlices: [],
        nodes: [],
        config: { loadBalancerClasses: [''] },
      });
      assert.equal(d.kind, 'announce');
      const obj = { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name: 'web' }, spec: d.spec };
      assert.deepEqual(schemaErrors(obj), []);
      assert.deepEqual(celErrors(d.spec), []);
      for (const a of d.spec.addresses ?? []) assert.ok(parseIP(a).ok);
    });
  });
});

void describe('VipPool CRD', () => {
  const poolCrd = readYaml('crds/vippools.vipannouncer.io.yaml') as Crd;
  const poolSchema = poolCrd.spec.versions[0].schema.openAPIV3Schema;
  const poolSpec = poolSchema.properties?.spec as Schema;

  void it('is cluster-scoped, short name vpool, with a status subresource', () => {
    assert.equal(poolCrd.spec.scope, 'Cluster');
    assert.deepEqual(poolCrd.spec.names.shortNames, ['vpool']);
    assert.ok(poolCrd.spec.versions[0].subresources?.status);
  });

  void it('is structural (string maps in label selectors aside)', () => {
    assert.deepEqual(structuralErrors(poolSchema, '', ['additionalProperties']), []);
  });

  void it('POOL_LIMITS match the schema bounds', () => {
    const alloc = poolSpec.properties?.serviceAllocation as Schema;
    const adv = poolSpec.properties?.advertisement as Schema;
    assert.equal(poolSpec.properties?.addresses?.maxItems, POOL_LIMITS.addresses);
    assert.equal(alloc.properties?.namespaces?.maxItems, POOL_LIMITS.namespaces);
    assert.equal(adv.properties?.communities?.maxItems, POOL_LIMITS.communities);
    assert.equal(adv.properties?.largeCommunities?.maxItems, POOL_LIMITS.largeCommunities);
  });

  void it('the sample is valid and its addresses are all ranges', () => {
    const validate = ajv.compile(poolSchema);
    const sample = readYaml('config/samples/vipannouncer_v1alpha1_vippool.yaml') as VipPool;
    assert.equal(validate(sample), true, JSON.stringify(validate.errors));
    assert.deepEqual(compilePool(sample).invalid, []);
  });
});

/**
 * What server-side apply stores for `applied` over `stored` (one field manager), as the lab's
 * API server does: a list applied empty gets no owner in managedFields, so when a later apply
 * omits it, it stays `[]`; a list whose owned items all go (omitted, or applied empty) is removed.
 */
function storedAfterApply(stored: VipAnnouncementSpec | undefined, applied: VipAnnouncementSpec): VipAnnouncementSpec {
  const out: VipAnnouncementSpec = { ...applied };
  const had = stored?.nodes;
  const orphanEmpty = had !== undefined && had.length === 0;
  if (applied.nodes === undefined && orphanEmpty) out.nodes = [];
  if (applied.nodes?.length === 0 && had !== undefined && had.length > 0) delete out.nodes;
  return out;
}

void describe('every transition of policy, nodes and endpoints is stored as applied', () => {
  const ep = (pod: string, node: string, ready: boolean): V1Endpoint => ({
    addresses: [`10.0.0.${pod.slice(1)}`],
    nodeName: node,
    conditions: { ready, serving: ready, terminating: false },
    targetRef: { kind: 'Pod', namespace: 'shop', name: pod, uid: `uid-${pod}` },
  });
  const placements: Record<string, V1Endpoint[]> = {
    'no Pod': [],
    'one unready Pod': [ep('p1', 'node-a', false)],
    'one Ready Pod': [ep('p1', 'node-a', true)],
    'Ready Pods on several nodes': [ep('p1', 'node-a', true), ep('p2', 'node-b', true), ep('p3', 'node-c', true)],
    'several Pods, one unready': [ep('p1', 'node-a', false), ep('p2', 'node-b', true), ep('p3', 'node-c', true)],
  };
  const states = (['Local', 'Cluster'] as const).flatMap((policy) =>
    Object.entries(placements).map(([where, endpoints]) => ({ name: `${policy}, ${where}`, spec: specFor(policy, endpoints) })),
  );

  for (const from of states) {
    void it(`from ${from.name}, through any state, to any state`, () => {
      const wrong: string[] = [];
      for (const via of states) {
        const stored = storedAfterApply(storedAfterApply(undefined, from.spec), via.spec);
        for (const to of states) {
          const now = storedAfterApply(stored, to.spec);
          const errors = [...schemaErrors({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name: 'web' }, spec: now }), ...celErrors(now)];
          if (errors.length > 0) wrong.push(`→ ${via.name} → ${to.name}: refused (${errors.join('; ')})`);
          else if (!specsEqual(now, to.spec)) wrong.push(`→ ${via.name} → ${to.name}: stored ${JSON.stringify(now)}`);
        }
      }
      assert.deepEqual(wrong, []);
    });
  }
});

function specFor(policy: 'Local' | 'Cluster', endpoints: V1Endpoint[]): VipAnnouncementSpec {
  const d = desiredAnnouncement({
    service: {
      metadata: { name: 'web', namespace: 'shop', uid: 'u', annotations: { [ANNOTATIONS.loadBalancerIPs]: '203.0.113.1' } },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: policy },
    },
    endpointSlices: [{
      addressType: 'IPv4',
      metadata: { name: 'web-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      endpoints,
    }],
    nodes: ['node-a', 'node-b', 'node-c'].map((name) => ({ metadata: { name } })),
    config: { loadBalancerClasses: [''] },
  });
  assert.equal(d.kind, 'announce');
  return d.spec;
}
