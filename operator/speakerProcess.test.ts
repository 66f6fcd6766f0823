import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The packages a fresh node process has loaded after requiring one of our modules. */
function packagesLoadedBy(module: string): string[] {
  const script = `require(${JSON.stringify(path.join(__dirname, module))}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`;
  const files = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as string[];
  const names = files.flatMap((f) => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f);
    return m ? [m[1]] : [];
  });
  return [...new Set(names)].sort();
}

const HEAVY = ['@dot-i/k8s-operator', '@kubernetes/client-node'];

void test('the speaker process loads neither the operator framework nor client-node; the operator process loads both', () => {
  const speaker = packagesLoadedBy('speakerProcess.js');
  assert.deepEqual(
    HEAVY.filter((p) => speaker.includes(p)),
    [],
    `speaker loads: ${speaker.join(', ')}`,
  );
  // Positive control: the same probe sees them in the operator's process.
  const operator = packagesLoadedBy('operatorProcess.js');
  assert.deepEqual(
    HEAVY.filter((p) => operator.includes(p)),
    HEAVY,
  );
});
