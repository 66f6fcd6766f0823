// The shape rules of operator/, checked over the sources so they cannot erode unnoticed:
// small functions (manifest literals aside), and roles that share vocabulary through api/ and
// util/ instead of importing one another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../operator');
const MAX_FUNCTION_LINES = 50;
/** Functions that are one manifest literal: long by nature, nothing to decide in them. */
const MANIFEST_LITERALS = new Set(['installer/render.ts:desiredDaemonSet']);
/** What each layer may import besides itself: roles use the plumbing, never each other. */
const MAY_IMPORT: Record<string, string[]> = {
  api: ['util'],
  util: [],
  config: ['api', 'util'],
  gobgp: ['api', 'util'],
  kube: ['api', 'util'],
  intent: ['api', 'util', 'kube'],
  controller: ['api', 'util', 'kube', 'config', 'intent'],
  installer: ['api', 'util', 'kube', 'config'],
  speaker: ['api', 'util', 'kube', 'config', 'gobgp', 'intent'],
};

function sources(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    // *.testkit.ts: support only tests import (generated clusters driving both roles).
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.testkit.ts') ? [full] : [];
  });
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
}

function longFunctions(file: string): string[] {
  const src = parse(file);
  const rel = path.relative(ROOT, file);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const body = node.body as ts.Node;
      const lines = src.getLineAndCharacterOfPosition(body.getEnd()).line - src.getLineAndCharacterOfPosition(body.getStart()).line + 1;
      const name = 'name' in node && node.name ? (node.name as ts.Node).getText(src) : '(anonymous)';
      if (lines > MAX_FUNCTION_LINES && !MANIFEST_LITERALS.has(`${rel}:${name}`)) found.push(`${rel}:${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return found;
}

function crossLayerImports(file: string): string[] {
  const rel = path.relative(ROOT, file);
  const layer = rel.split(path.sep)[0];
  const allowed = MAY_IMPORT[layer];
  if (!allowed) return [];
  return parse(file)
    .statements.filter(ts.isImportDeclaration)
    .map((i) => (i.moduleSpecifier as ts.StringLiteral).text)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.relative(ROOT, path.resolve(path.dirname(file), spec)).split(path.sep)[0])
    .filter((target) => target !== layer && MAY_IMPORT[target] !== undefined && !allowed.includes(target))
    .map((target) => `${rel} imports ${target}/`);
}

void test(`no function in operator/ is longer than ${MAX_FUNCTION_LINES} lines (manifest literals aside)`, () => {
  assert.deepEqual(sources().flatMap(longFunctions), []);
});

void test('no role imports another role, and the shared layers import no role', () => {
  assert.deepEqual(sources().flatMap(crossLayerImports), []);
});
