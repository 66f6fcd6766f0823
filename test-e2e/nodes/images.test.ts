// The images `make images` wrote (.images/*.tar, OCI archives of multi-arch indexes), read as a
// node would: every platform's config and layers. What the README and the manifests promise
// about them is checked here; that they run is proven by install.test.ts on real nodes.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { DEFAULTS } from '../../operator/installer/render';
import { REPO_ROOT } from '../harness/lab';

interface Descriptor {
  digest: string;
  mediaType: string;
  platform?: { os: string; architecture: string };
  annotations?: Record<string, string>;
}
interface ImageConfig {
  architecture: string;
  os: string;
  config: { User?: string; Entrypoint?: string[]; Env?: string[] };
}
interface Platform {
  arch: string;
  config: ImageConfig;
  /** Every path in the image's layers, with its mode string (tar -tv). */
  files: Map<string, string>;
}
interface Image {
  tags: string[];
  platforms: Platform[];
}

function readImage(archive: string): Image {
  const dir = mkdtempSync(path.join(tmpdir(), 'vipa-image-'));
  try {
    execFileSync('tar', ['-xf', archive, '-C', dir]);
    const blob = (digest: string): string => path.join(dir, 'blobs', ...digest.split(':'));
    const read = <T>(digest: string): T => JSON.parse(readFileSync(blob(digest), 'utf8')) as T;
    const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    const tags = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? '').sort();
    const list = read<{ manifests: Descriptor[] }>(index.manifests[0].digest);
    const platforms = list.manifests.map((m) => {
      const manifest = read<{ config: Descriptor; layers: Descriptor[] }>(m.digest);
      const files = new Map<string, string>();
      for (const layer of manifest.layers) {
        const listing = execFileSync('tar', ['-tvzf', blob(layer.digest)], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
        for (const line of listing.split('\n').filter(Boolean)) {
          const parts = line.split(/\s+/);
          const name = parts.slice(5).join(' ').replace(/ -> .*$/, '').replace(/^\.?\//, '').replace(/\/$/, '');
          files.set(name, parts[0]);
        }
      }
      return { arch: m.platform?.architecture ?? '', config: read<ImageConfig>(manifest.config.digest), files };
    });
    return { tags, platforms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const archive = (name: string): string => path.join(REPO_ROOT, '.images', `${name}.tar`);
const imageNames = (): string[] => execFileSync(path.join(REPO_ROOT, 'hack', 'images.sh'), ['--names']).toString('utf8').trim().split('\n');

describe('the images make images built', () => {
  let operator: Image;
  let gobgpd: Image;

  before(() => {
    operator = readImage(archive('vip-announcer'));
    gobgpd = readImage(archive('gobgpd-v4'));
  });

  it('are multi-arch indexes for linux/amd64 and linux/arm64, tagged with the version and the commit', () => {
    for (const image of [operator, gobgpd]) {
      assert.deepEqual(image.platforms.map((p) => `${p.config.os}/${p.config.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
    }
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.ok(operator.tags.includes(`ghcr.io/vip-announcer/vip-announcer:${version}`), `tags ${operator.tags.join(', ')}`);
    assert.ok(operator.tags.some((t) => /:[0-9a-f]{12}(-dirty)?$/.test(t)), `a commit tag among ${operator.tags.join(', ')}`);
  });

  it('vip-announcer: non-root, no shell or package manager, Node 24 with its libraries per arch, no tests', () => {
    for (const p of operator.platforms) {
      assert.equal(p.config.config.User, '65532:65532', `${p.arch}: user`);
      assert.deepEqual(p.config.config.Entrypoint, ['/nodejs/bin/node', '/app/dist/operator/main.js']);
      for (const banned of ['bin/sh', 'bin/bash', 'usr/bin/apt', 'usr/bin/dpkg', 'usr/local/bin/npm', 'nodejs/bin/npm', 'app/node_modules/npm']) {
        assert.equal(p.files.has(banned), false, `${p.arch}: ${banned} must not be in the image`);
      }
      assert.ok(p.files.has('nodejs/bin/node'), `${p.arch}: node`);
      const ma = p.arch === 'amd64' ? 'x86_64-linux-gnu' : 'aarch64-linux-gnu';
      for (const lib of [`lib/${ma}/libc.so.6`, `usr/lib/${ma}/libstdc++.so.6`, `lib/${ma}/libgcc_s.so.1`]) assert.ok(p.files.has(lib), `${p.arch}: ${lib}`);
      assert.ok(p.files.has('app/dist/operator/main.js'));
      assert.equal([...p.files.keys()].filter((f) => f.endsWith('.test.js')).length, 0, `${p.arch}: no test files`);
      assert.equal([...p.files.keys()].filter((f) => f.startsWith('app/node_modules/typescript/') || f.startsWith('app/node_modules/eslint/')).length, 0, 'no dev dependencies');
    }
  });

  it('the amd64 image runs: node 24 prints its version from the image\'s own files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vipa-rootfs-'));
    try {
      execFileSync('tar', ['-xf', archive('vip-announcer'), '-C', dir]);
      const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
      const blob = (digest: string): string => path.join(dir, 'blobs', ...digest.split(':'));
      const list = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8')) as { manifests: Descriptor[] };
      const amd = list.manifests.find((m) => m.platform?.architecture === 'amd64');
      assert.ok(amd);
      const manifest = JSON.parse(readFileSync(blob(amd.digest), 'utf8')) as { layers: Descriptor[] };
      const root = path.join(dir, 'rootfs');
      execFileSync('mkdir', ['-p', root]);
      for (const layer of manifest.layers) execFileSync('tar', ['-xzf', blob(layer.digest), '-C', root]);
      // The image's own loader and libraries, not the host's.
      const out = execFileSync(path.join(root, 'lib64/ld-linux-x86-64.so.2'), ['--library-path', `${root}/lib/x86_64-linux-gnu:${root}/usr/lib/x86_64-linux-gnu`, path.join(root, 'nodejs/bin/node'), '--version']).toString('utf8');
      assert.match(out.trim(), /^v24\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gobgpd: a static gobgpd and the sh, rm, sleep, date and kill its DaemonSet hooks use', () => {
    for (const p of gobgpd.platforms) {
      for (const f of ['usr/local/bin/gobgpd', 'bin/busybox', 'bin/sh', 'bin/rm', 'bin/sleep', 'bin/date', 'bin/kill']) assert.ok(p.files.has(f), `${p.arch}: ${f}`);
    }
  });

  it('config/, the CRD default, the bundle and the installer name exactly the images built', () => {
    const names = imageNames();
    const [operatorImage, gobgpdImage] = names;
    assert.equal(DEFAULTS.image, operatorImage, 'the installer\'s default speaker image');
    const manager = yaml.loadAll(readFileSync(path.join(REPO_ROOT, 'config', 'manager', 'manager.yaml'), 'utf8')) as { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }[];
    assert.equal(manager[0]?.spec?.template?.spec?.containers?.[0]?.image, operatorImage, 'config/manager');
    const crd = readFileSync(path.join(REPO_ROOT, 'crds', 'vipannouncers.vipannouncer.io.yaml'), 'utf8');
    assert.ok(crd.includes(`default: ${gobgpdImage}`), `the CRD defaults gobgpdImage to ${gobgpdImage}`);
    const csv = readFileSync(path.join(REPO_ROOT, 'bundle', 'manifests', 'vip-announcer.clusterserviceversion.yaml'), 'utf8');
    assert.ok(csv.includes(`image: ${operatorImage}`), 'the bundle\'s CSV');
    for (const name of names) {
      const [repo, tag] = name.split(/:(?=[^:]+$)/);
      const file = repo.endsWith('vip-announcer') ? 'vip-announcer' : tag.startsWith('4.') ? 'gobgpd-v4' : 'gobgpd-v3';
      assert.ok(readImage(archive(file)).tags.includes(name), `${name} is in .images/${file}.tar`);
    }
  });
});
