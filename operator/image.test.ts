// The runtime image, read from the Dockerfile (no container engine here to build it): every
// stage on a supported Node LTS, and a final stage with nothing that installs packages, so a
// compromised process finds no npm to fetch tools with.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');
/** Node majors with LTS support now (20 ended in April 2026). */
const MIN_NODE_MAJOR = 22;

interface Stage {
  from: string;
  instructions: string[];
}

/** Stages of a Dockerfile: the FROM image and the instructions up to the next FROM (continuations joined). */
export function dockerStages(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)/i.exec(line);
    if (from?.[1]) stages.push({ from: from[1], instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

/** The Node major of a node or distroless nodejs image, or undefined for anything else. */
export function nodeMajor(image: string): number | undefined {
  const m = /^(?:docker\.io\/(?:library\/)?)?node:(\d+)\b/.exec(image) ?? /^gcr\.io\/distroless\/nodejs(\d+)-debian\d+\b/.exec(image);
  return m?.[1] ? Number(m[1]) : undefined;
}

test('dockerStages and nodeMajor read what they should', () => {
  const stages = dockerStages('# c\nFROM node:20-slim AS b\nRUN a \\\n  b\nFROM gcr.io/distroless/nodejs24-debian12:nonroot\nCOPY x y\n');
  assert.deepEqual(stages, [
    { from: 'node:20-slim', instructions: ['RUN a    b'] },
    { from: 'gcr.io/distroless/nodejs24-debian12:nonroot', instructions: ['COPY x y'] },
  ]);
  assert.equal(nodeMajor('node:20-bookworm-slim'), 20);
  assert.equal(nodeMajor('gcr.io/distroless/nodejs22-debian12'), 22);
  assert.equal(nodeMajor('debian:bookworm-slim'), undefined);
});

const stages = dockerStages(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));

test(`every stage of the image runs Node ${MIN_NODE_MAJOR} or newer`, () => {
  assert.ok(stages.length > 0);
  for (const s of stages) {
    const major = nodeMajor(s.from);
    assert.ok(major !== undefined && major >= MIN_NODE_MAJOR, `${s.from}: not a Node ${MIN_NODE_MAJOR}+ image`);
  }
});

test('the runtime stage is distroless: no npm, no shell, nothing run at build time', () => {
  const last = stages.at(-1);
  assert.ok(last);
  assert.match(last.from, /^gcr\.io\/distroless\/nodejs\d+-debian\d+/);
  assert.deepEqual(last.instructions.filter((i) => /^RUN\b/i.test(i) || /\bnpm\b|\bcorepack\b/.test(i)), []);
  assert.ok(last.instructions.some((i) => /^USER\s+65532/.test(i)), 'runs as the numeric non-root user');
});

test('engines still admits Node 20, which the development machines run', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } };
  assert.equal(pkg.engines?.node, '>=20');
});
