// The allocator's own time: 10,000 Services allocated one by one from a /16, as the controller
// does on a cold start (allocate, then record in the table). Run: node dist/hack/bench-allocator.js
import type { V1Service } from '@kubernetes/client-node';
import { compilePool } from '../operator/api/pool';
import { AllocationTable } from '../operator/controller/allocationTable';
import { allocate, claimOf } from '../operator/controller/allocator';

const SERVICES = 10_000;
const pools = [compilePool({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name: 'bench' }, spec: { addresses: ['10.1.0.0/16'] } })];

function service(i: number): V1Service {
  return { metadata: { namespace: 'bench', name: `svc-${i}` }, spec: { type: 'LoadBalancer', ipFamilies: ['IPv4'], ports: [{ port: 80, protocol: 'TCP' }] } };
}

function run(): { ms: number; unique: number } {
  const table = new AllocationTable();
  const services = Array.from({ length: SERVICES }, (_, i) => service(i));
  const start = process.hrtime.bigint();
  for (const svc of services) {
    const claim = claimOf(svc, {}, undefined, []);
    const result = allocate(pools, table, claim);
    table.assign({ owner: claim.key, kind: 'service', sharing: claim.sharing }, result.addresses);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, unique: new Set([...table.entries()].map(([a]) => a)).size };
}

run(); // warm-up
const runs = [run(), run(), run()];
const times = runs.map((r) => r.ms.toFixed(1)).join(', ');
console.log(`allocator: ${SERVICES} Services from a /16: ${times} ms (3 runs); ${runs[0].unique} unique addresses`);
