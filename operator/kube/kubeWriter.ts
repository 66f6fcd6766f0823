// The writes a reconcile's executor makes, as one small interface: the announcement
// controller, the installer and the speaker execute their plans through it, and unit tests
// drive the executors with a fake (./testing.ts has one that records every call).
import type { KubeConnection } from './connection';
import { applyObject, applyStatus, deleteObject, isConflict, isNotFound, mergePatchStatus } from './apply';
import type { KubeObject, ResourceRef } from './resources';

export interface WriteContext {
  /** Aborts the request (shutdown, lost leadership). */
  signal?: AbortSignal;
}

/** What a conditional delete did: only 'deleted' removed something. */
export type DeleteOutcome = 'deleted' | 'not-found' | 'uid-conflict';

export interface KubeWriter {
  /** Server-side apply of the fields `obj` names, as this writer's field manager. */
  apply<T extends KubeObject>(resource: ResourceRef, obj: KubeObject, ctx?: WriteContext): Promise<T>;
  /** Server-side apply to the status subresource. */
  applyStatus<T extends KubeObject>(resource: ResourceRef, obj: KubeObject & { status: unknown }, ctx?: WriteContext): Promise<T>;
  /** JSON merge patch of the status subresource (fields the object's own API shape owns, e.g. Service ingress); the object written. */
  mergePatchStatus(resource: ResourceRef, namespace: string | undefined, name: string, status: unknown, ctx?: WriteContext): Promise<KubeObject | undefined>;
  /** Delete this incarnation (uid precondition) only. */
  delete(resource: ResourceRef, namespace: string | undefined, name: string, uid: string | undefined, ctx?: WriteContext): Promise<DeleteOutcome>;
}

/** The KubeWriter that talks to the API server, as one field manager. */
export function apiKubeWriter(kc: KubeConnection, fieldManager: string): KubeWriter {
  return {
    apply: <T extends KubeObject>(resource: ResourceRef, obj: KubeObject, ctx: WriteContext = {}) =>
      applyObject<KubeObject, T>(kc, resource, obj, { fieldManager, signal: ctx.signal }),
    applyStatus: <T extends KubeObject>(resource: ResourceRef, obj: KubeObject & { status: unknown }, ctx: WriteContext = {}) =>
      applyStatus<T>(kc, resource, obj, { fieldManager, signal: ctx.signal }),
    mergePatchStatus: (resource, namespace, name, status, ctx = {}) => mergePatchStatus(kc, resource, namespace, name, status, { fieldManager, signal: ctx.signal }),
    delete: async (resource, namespace, name, uid, ctx = {}) => {
      try {
        return (await deleteObject(kc, resource, namespace, name, { uid, signal: ctx.signal })) ? 'deleted' : 'not-found';
      } catch (err) {
        if (isNotFound(err)) return 'not-found';
        if (isConflict(err)) return 'uid-conflict';
        throw err;
      }
    },
  };
}
