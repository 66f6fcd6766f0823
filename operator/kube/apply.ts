// Writing objects: server-side apply (main resource and /status), merge patches, create, replace,
// delete with preconditions. Every failure is a KubeApiError whose statusCode tells 404 / 409 /
// 410 / 422 apart (see isNotFound, isConflict, isAlreadyExists, isGone, isInvalid in ./request).
//
// Server-side apply: PATCH with Content-Type application/apply-patch+yaml and ?fieldManager=...;
// the body is JSON, which is valid YAML. The applied object must carry apiVersion, kind, name
// (and namespace) and only the fields this manager owns; the API server merges list-maps such as
// status.speakers (keyed by node) per manager.

import type { KubeConnection } from './connection';
import type { KubeObject, ResourceRef } from './resources';
import { apiVersionOf, resourcePath } from './resources';
import { KubeApiError, isAlreadyExists, isConflict, isNotFound, kubeRequest } from './request';
import { isRecord } from '../util/records';

export { KubeApiError, isAlreadyExists, isConflict, isGone, isInvalid, isNetworkError, isNotFound } from './request';

export const APPLY_PATCH = 'application/apply-patch+yaml';
export const MERGE_PATCH = 'application/merge-patch+json';

export interface WriteOptions {
  signal?: AbortSignal;
  /** Validate and default on the server, persist nothing. */
  dryRun?: boolean;
  /** Recorded in managedFields for create/replace/merge-patch too. */
  fieldManager?: string;
}

export interface ApplyOptions extends WriteOptions {
  fieldManager: string;
  /**
   * Take ownership of fields another manager set (default true: a controller is the authority on
   * the fields it applies; pass false to get a 409 on such conflicts instead).
   */
  force?: boolean;
}

export interface DeleteOptions {
  signal?: AbortSignal;
  /** Only delete this incarnation of the object (409 if the name now belongs to another uid). */
  uid?: string;
  /** Only delete if unchanged since this resourceVersion (409 otherwise). */
  resourceVersion?: string;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
}

function asObject<T>(v: unknown, what: string): T {
  if (!isRecord(v)) throw new KubeApiError(0, 'BadResponse', `${what}: response is not an object`, 'PATCH', what);
  return v as T;
}

function target(res: ResourceRef, obj: KubeObject): { namespace?: string; name: string } {
  const name = obj.metadata?.name;
  if (!name) throw new Error(`${res.kind}: metadata.name is required`);
  const namespace = obj.metadata?.namespace;
  if (res.namespaced && !namespace) throw new Error(`${res.kind} ${name}: metadata.namespace is required`);
  return { namespace: res.namespaced ? namespace : undefined, name };
}

function checkNamespace(res: ResourceRef, namespace: string | undefined, name: string): string | undefined {
  if (res.namespaced && !namespace) throw new Error(`${res.kind} ${name}: namespace is required`);
  return res.namespaced ? namespace : undefined;
}

/** apiVersion and kind filled in from the resource when missing (apply requires them). */
function withTypeMeta<T extends KubeObject>(res: ResourceRef, obj: T): T {
  return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(res), kind: obj.kind ?? res.kind };
}

async function applyTo<R>(
  kc: KubeConnection,
  res: ResourceRef,
  obj: KubeObject,
  opts: ApplyOptions,
  subresource?: 'status',
): Promise<R> {
  const { namespace, name } = target(res, obj);
  const path = resourcePath(res, namespace, name, subresource);
  const body = await kubeRequest(kc, {
    method: 'PATCH',
    path,
    query: { fieldManager: opts.fieldManager, force: opts.force ?? true, dryRun: opts.dryRun ? 'All' : undefined },
    body: withTypeMeta(res, obj),
    contentType: APPLY_PATCH,
    signal: opts.signal,
  });
  return asObject<R>(body, path);
}

/**
 * Server-side apply of `obj` (creates it if missing). Returns the object as stored (type R,
 * by default the type of what was applied; pass R when applying a partial object).
 */
export function applyObject<T extends KubeObject, R extends KubeObject = T>(
  kc: KubeConnection,
  res: ResourceRef,
  obj: T,
  opts: ApplyOptions,
): Promise<R> {
  return applyTo<R>(kc, res, obj, opts);
}

/**
 * Server-side apply to the /status subresource. `obj` holds apiVersion/kind (filled in if missing),
 * metadata.name/namespace and the `status` fields this manager owns. Never creates the object: a
 * missing custom resource answers 404 (checked on kube-apiserver 1.36); some built-in kinds
 * (Service) answer 422 instead, because the empty object fails validation first.
 */
export function applyStatus<R extends KubeObject = KubeObject>(
  kc: KubeConnection,
  res: ResourceRef,
  obj: KubeObject & { status: unknown },
  opts: ApplyOptions,
): Promise<R> {
  return applyTo<R>(kc, res, obj, opts, 'status');
}

/** JSON merge patch (RFC 7386) of the object, or of its /status with `subresource: 'status'`. */
export async function mergePatch<T extends KubeObject>(
  kc: KubeConnection,
  res: ResourceRef,
  namespace: string | undefined,
  name: string,
  patch: unknown,
  opts: WriteOptions & { subresource?: 'status' } = {},
): Promise<T> {
  const path = resourcePath(res, checkNamespace(res, namespace, name), name, opts.subresource);
  const body = await kubeRequest(kc, {
    method: 'PATCH',
    path,
    query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined },
    body: patch,
    contentType: MERGE_PATCH,
    signal: opts.signal,
  });
  return asObject<T>(body, path);
}

/** Merge-patch `status` into the /status subresource: PATCH {"status": status}. */
export function mergePatchStatus<T extends KubeObject>(
  kc: KubeConnection,
  res: ResourceRef,
  namespace: string | undefined,
  name: string,
  status: unknown,
  opts: WriteOptions = {},
): Promise<T> {
  return mergePatch<T>(kc, res, namespace, name, { status }, { ...opts, subresource: 'status' });
}

/** GET one object; undefined when it does not exist. */
export async function getObject<T extends KubeObject>(
  kc: KubeConnection,
  res: ResourceRef,
  namespace: string | undefined,
  name: string,
  opts: { signal?: AbortSignal } = {},
): Promise<T | undefined> {
  const path = resourcePath(res, checkNamespace(res, namespace, name), name);
  try {
    return asObject<T>(await kubeRequest(kc, { method: 'GET', path, signal: opts.signal }), path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** POST a new object (409 AlreadyExists if the name is taken). */
export async function createObject<T extends KubeObject>(kc: KubeConnection, res: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
  const { namespace } = target(res, obj);
  const path = resourcePath(res, namespace);
  const body = await kubeRequest(kc, {
    method: 'POST',
    path,
    query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined },
    body: withTypeMeta(res, obj),
    signal: opts.signal,
  });
  return asObject<T>(body, path);
}

/** PUT the object; with metadata.resourceVersion set this is optimistic (409 Conflict if stale). */
export async function replaceObject<T extends KubeObject>(kc: KubeConnection, res: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
  const { namespace, name } = target(res, obj);
  const path = resourcePath(res, namespace, name);
  const body = await kubeRequest(kc, {
    method: 'PUT',
    path,
    query: { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined },
    body: withTypeMeta(res, obj),
    signal: opts.signal,
  });
  return asObject<T>(body, path);
}

/**
 * Create, or replace what is there (taking its current resourceVersion); retried a few times when
 * someone else writes in between. For objects this program alone owns; prefer applyObject otherwise.
 */
export async function createOrReplace<T extends KubeObject>(kc: KubeConnection, res: ResourceRef, obj: T, opts: WriteOptions = {}): Promise<T> {
  const { namespace, name } = target(res, obj);
  for (let attempt = 0; ; attempt++) {
    try {
      return await createObject(kc, res, obj, opts);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const current = await getObject<T>(kc, res, namespace, name, opts);
    if (!current) continue; // deleted in between: create again
    try {
      return await replaceObject(kc, res, { ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion } }, opts);
    } catch (err) {
      if (!(isConflict(err) || isNotFound(err)) || attempt >= 4) throw err;
    }
  }
}

/** DELETE; resolves false when the object was already gone, true when deletion was accepted. */
export async function deleteObject(
  kc: KubeConnection,
  res: ResourceRef,
  namespace: string | undefined,
  name: string,
  opts: DeleteOptions = {},
): Promise<boolean> {
  const path = resourcePath(res, checkNamespace(res, namespace, name), name);
  const preconditions: Record<string, string> = {};
  if (opts.uid) preconditions.uid = opts.uid;
  if (opts.resourceVersion) preconditions.resourceVersion = opts.resourceVersion;
  const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
  if (Object.keys(preconditions).length > 0) body.preconditions = preconditions;
  if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  try {
    await kubeRequest(kc, { method: 'DELETE', path, body, signal: opts.signal });
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
