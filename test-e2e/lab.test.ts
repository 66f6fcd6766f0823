// Proves the lab is real: the CRD is enforced by a real API server, the real
// EndpointSlice and garbage-collector controllers act, and a path given to a
// real gobgpd through our client reaches the real upstream router (BIRD).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { GobgpClient } from '../operator/gobgp/client';
import { labClient } from './harness/gobgp';
import type { PathSpec } from '../operator/gobgp/types';
import { birdRoutes } from './harness/bird';
import { REPO_ROOT, kubectl, kubectlResult, lab, waitFor } from './harness/lab';
import {
  core, createReadyPod, createService, customObjects, deleteNamespace, discovery, ensureNamespace, ensureNode, statusOf, uniqueNamespace,
} from './harness/kube';

const NS = uniqueNamespace('e2e-lab');

describe('lab: Kubernetes control plane', () => {
  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io']);
    await ensureNamespace(NS);
  });
  after(async () => {
    await deleteNamespace(NS);
  });

  it('accepts the samples and lists them with the printer columns', async () => {
    const samples = path.join(REPO_ROOT, 'config', 'samples');
    for (const f of ['vipannouncer_v1alpha1_vipannouncement_service.yaml', 'vipannouncer_v1alpha1_vipannouncement_handmade.yaml']) {
      await kubectl(['apply', '-n', NS, '-f', path.join(samples, f)]);
    }
    const out = await kubectl(['get', 'vipannouncements', '-n', NS]);
    const header = out.split('\n')[0].split(/\s{2,}/).map((h) => h.trim());
    for (const col of ['NAME', 'SERVICE', 'ADDRESSES', 'POLICY', 'ADVERTISED', 'SPEAKERS', 'AGE']) {
      assert.ok(header.includes(col), `column ${col} missing from: ${out.split('\n')[0]}`);
    }
    assert.ok(out.split('\n').filter(Boolean).length >= 3, `expected two samples listed:\n${out}`);
    // The short name works too.
    const short = await kubectl(['get', 'vipa', '-n', NS, '-o', 'name']);
    assert.equal(short.trim().split('\n').length, 2);
  });

  it('rejects an invalid VipAnnouncement in the API server, naming the bad fields', () => {
    const r = kubectlResult(['apply', '-n', NS, '-f', path.join(REPO_ROOT, 'test-e2e', 'fixtures', 'invalid-vipannouncement.yaml')]);
    assert.notEqual(r.status, 0, 'the API server accepted an invalid object');
    assert.match(r.stderr, /spec\.addresses/);
    assert.match(r.stderr, /spec\.localPref/);
    assert.match(r.stderr, /spec\.nodes: .*must be omitted/);
    assert.match(r.stderr, /spec\.nodes\[1\]: Invalid value: "Node_B"/);
    assert.match(r.stderr, /spec\.communities/);
  });

  it('runs the real EndpointSlice controller: a Ready pod becomes an endpoint owned by its Service', async () => {
    const node = lab().nodes[0];
    await ensureNode(node.name, node.address);
    const svc = await createService({ namespace: NS, name: 'web', policy: 'Local' });
    await createReadyPod({ namespace: NS, name: 'web-1', app: 'web', node: node.name, ip: '10.244.1.10' });
    const slice = await waitFor('an EndpointSlice with a ready endpoint', async () => {
      const list = await discovery().listNamespacedEndpointSlice(NS, undefined, undefined, undefined, undefined, 'kubernetes.io/service-name=web');
      return list.body.items.find((s) => (s.endpoints ?? []).some((e) => e.conditions?.ready === true));
    });
    const owner = (slice.metadata?.ownerReferences ?? []).find((o) => o.kind === 'Service');
    assert.ok(owner, 'slice has no Service ownerReference');
    assert.equal(owner.name, 'web');
    assert.equal(owner.uid, svc.metadata?.uid);
    assert.equal(owner.controller, true);
    assert.equal(slice.endpoints?.[0].nodeName, node.name);
    assert.deepEqual(slice.endpoints?.[0].addresses, ['10.244.1.10']);
  });

  it('runs the real garbage collector: deleting a Service removes what it owns', async () => {
    const svc = await createService({ namespace: NS, name: 'owned' });
    await customObjects().createNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements', {
      apiVersion: 'vipannouncer.io/v1alpha1',
      kind: 'VipAnnouncement',
      metadata: {
        name: 'owned',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'owned', uid: svc.metadata?.uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { serviceRef: { name: 'owned', uid: svc.metadata?.uid }, addresses: ['198.51.100.7'], externalTrafficPolicy: 'Cluster' },
    });
    await core().deleteNamespacedService('owned', NS);
    await waitFor('the owned VipAnnouncement to be garbage-collected', async () => {
      try {
        await customObjects().getNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements', 'owned');
        return false;
      } catch (err) {
        return statusOf(err) === 404;
      }
    });
  });
});

describe('lab: BGP network', () => {
  const node = lab().nodes[1];
  let client: GobgpClient;
  const v4: PathSpec = {
    prefix: '203.0.113.77/32', family: 'ipv4-unicast', nextHop: node.address,
    communities: ['65000:100', '65000:200'], largeCommunities: ['65000:1:2'], localPref: 150,
  };
  const v6: PathSpec = {
    prefix: '2001:db8::77/128', family: 'ipv6-unicast', nextHop: 'fd00:0:0:ff::12',
    communities: ['65000:300'], largeCommunities: [],
  };

  before(async () => {
    const l = lab();
    client = labClient(node.gobgpTarget);
    await waitFor('gobgpd to answer', async () => (await client.getBgp(), true));
    await client.startBgp({ asn: l.nodeAsn, routerId: node.address, listenPort: l.bgpPort, listenAddresses: [node.address] });
    const peers = await client.listPeers();
    if (!peers.some((p) => p.address === l.routerAddress)) {
      await client.addPeer({ address: l.routerAddress, asn: l.routerAsn, port: l.bgpPort, families: ['ipv4-unicast', 'ipv6-unicast'], localAddress: node.address, connectRetry: 2 });
    }
    await waitFor('the session to BIRD', async () => (await client.listPeers()).find((p) => p.state === 'Established'));
  });
  after(() => client?.close());

  it('a /32 and a /128 given to gobgpd reach BIRD with their attributes, and leave after DeletePath', async () => {
    await client.addPath(v4);
    await client.addPath(v6);
    const got = await waitFor('both routes in BIRD', async () => {
      const routes = (await birdRoutes()).filter((r) => r.prefix === v4.prefix || r.prefix === v6.prefix);
      return routes.length === 2 ? routes : undefined;
    }, { timeoutMs: 30_000 });
    const r4 = got.find((r) => r.prefix === v4.prefix);
    const r6 = got.find((r) => r.prefix === v6.prefix);
    assert.ok(r4 && r6);
    assert.equal(r4.protocol, 'node_2');
    assert.equal(r4.nextHop, node.address);
    assert.equal(r4.origin, 'IGP');
    assert.deepEqual(r4.communities, v4.communities);
    assert.deepEqual(r4.largeCommunities, v4.largeCommunities);
    assert.equal(r4.localPref, 150);
    assert.equal(r6.nextHop, v6.nextHop);
    assert.deepEqual(r6.communities, v6.communities);

    await client.deletePath(v4);
    await client.deletePath(v6);
    await waitFor('both routes gone from BIRD', async () =>
      (await birdRoutes()).every((r) => r.prefix !== v4.prefix && r.prefix !== v6.prefix), { timeoutMs: 30_000 });
  });
});
