/* global process, console */
// Prints each platform's compressed and uncompressed size of a multi-arch image held in an
// OCI layout directory (hack/images.sh): compressed is what a registry would store and a
// node would pull (the blobs), uncompressed what the node unpacks.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';

const dir = process.argv[2];
const blob = (digest) => path.join(dir, 'blobs', ...digest.split(':'));
const json = (digest) => JSON.parse(readFileSync(blob(digest), 'utf8'));
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8'));
const seen = new Set();
const out = [];
for (const top of index.manifests) {
  if (seen.has(top.digest)) continue;
  seen.add(top.digest);
  const doc = json(top.digest);
  const manifests = doc.manifests ?? [{ digest: top.digest, platform: {} }];
  for (const m of manifests) {
    const man = json(m.digest);
    const config = json(man.config.digest);
    let packed = man.config.size;
    let unpacked = 0;
    for (const layer of man.layers) {
      packed += layer.size;
      const data = readFileSync(blob(layer.digest));
      unpacked += layer.mediaType.endsWith('gzip') ? gunzipSync(data).length : data.length;
    }
    out.push(`${config.os}/${config.architecture} ${mb(packed)} compressed, ${mb(unpacked)} uncompressed`);
  }
}
console.log(out.join('; '));
