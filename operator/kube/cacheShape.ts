// What the caches keep of each object: everything a decision may read, nothing the API server
// adds for its own bookkeeping and nothing tenants can grow without bound. managedFields alone is
// often larger than the rest of an object, and a Node's image list can be hundreds of kilobytes;
// neither is read by any controller. Annotations (up to 256 KiB an object, any user with `edit`
// writes them on Services) are read only under vipannouncer.io/; labels only where a selector or
// a decision reads them (./cachedKinds.ts says which, kind by kind).
//
// The trimmed shape is a type as well: a cache hands out `Trimmed<T, Labels>`, so code that reads
// a field the cache dropped does not compile (cachedKinds.test.ts holds the proof).
import { ANNOTATION_PREFIX } from '../api/types';
import type { KubeObject, ResourceRef } from './resources';

/** The annotation keys a cache keeps: ours alone. */
export type VipAnnotationKey = `${typeof ANNOTATION_PREFIX}${string}`;
/** Annotations as cached: reading any key outside vipannouncer.io/ is a type error. */
export type CachedAnnotations = { readonly [key: VipAnnotationKey]: string };

/** Which labels a cache keeps of a kind: all (a selector reads them), some keys, or none. */
export type AllLabels = { labels?: Record<string, string> };
export type OnlyLabels<K extends string> = { labels?: { readonly [key in K]?: string } };
export type NoLabels = Record<never, never>;
export type LabelsKept = AllLabels | OnlyLabels<string> | NoLabels;

/** Metadata as cached: no managedFields, annotations under vipannouncer.io/ only, labels as `L` says. */
export type CachedMeta<M, L extends LabelsKept> = Omit<M, 'managedFields' | 'annotations' | 'labels'> & { annotations?: CachedAnnotations } & L;

/** An object as cached: `T` with its metadata trimmed (optional where `T`'s is). */
export type Trimmed<T extends { metadata?: object }, L extends LabelsKept> = { [K in keyof T]: K extends 'metadata' ? CachedMeta<NonNullable<T[K]>, L> : T[K] };

/** How a cache keeps one resource: the type it hands out, and the function that trims to it. */
export interface CacheShape<T extends KubeObject> {
  readonly resource: ResourceRef;
  /** Names the shape: two shapes of one resource are two informers (e.g. the `all` role). */
  readonly name: string;
  /** Trims, in place, an object as the API server serves it; returns it. */
  readonly trim: (obj: KubeObject) => T;
}

/** The label keys a cache keeps: all, these, or none. */
export type LabelPolicy = 'all' | 'none' | readonly string[];

type Slimmable = KubeObject & { metadata?: { managedFields?: unknown } };

function keepKeys(map: Record<string, string> | undefined, keep: (key: string) => boolean): Record<string, string> | undefined {
  if (!map) return undefined;
  const kept = Object.entries(map).filter(([k]) => keep(k));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

function setOrDelete(meta: Record<string, unknown>, field: 'annotations' | 'labels', value: Record<string, string> | undefined): void {
  if (value) meta[field] = value;
  else delete meta[field];
}

/**
 * Drops, in place, managedFields, the annotations outside vipannouncer.io/ and the labels
 * `labels` does not keep; returns `obj`.
 */
export function slimMetadata<T extends KubeObject>(obj: T, labels: LabelPolicy): T {
  const meta = (obj as Slimmable).metadata;
  if (!meta) return obj;
  if ('managedFields' in meta) delete meta.managedFields;
  const m = meta as Record<string, unknown>;
  if (meta.annotations) setOrDelete(m, 'annotations', keepKeys(meta.annotations, (k) => k.startsWith(ANNOTATION_PREFIX)));
  if (meta.labels && labels !== 'all') setOrDelete(m, 'labels', labels === 'none' ? undefined : keepKeys(meta.labels, (k) => labels.includes(k)));
  return obj;
}

/** Drops, in place, every key of `obj` (when an object) outside `kept`. */
export function keepOnly(obj: unknown, kept: readonly string[]): void {
  if (typeof obj !== 'object' || obj === null) return;
  for (const key of Object.keys(obj)) if (!kept.includes(key)) delete (obj as Record<string, unknown>)[key];
}

/**
 * A shape of `resource` that trims metadata as `labels` says, then `more` (e.g. a status the
 * reader never looks at). The type parameter is what the trimming leaves: keep them in step
 * (cachedKinds.test.ts checks each shape's output against its declared keys).
 */
export function cacheShape<T extends KubeObject>(resource: ResourceRef, name: string, labels: LabelPolicy, more?: (obj: Record<string, unknown>) => void): CacheShape<T> {
  return {
    resource,
    name,
    trim: (obj) => {
      slimMetadata(obj, labels);
      more?.(obj as Record<string, unknown>);
      return obj as T;
    },
  };
}

/**
 * Only the bookkeeping dropped (managedFields, foreign annotations), labels kept, and the type
 * the caller names: for a LIST read outside the controllers' caches, and for tests of the
 * plumbing. Controllers read their caches through the shapes of ./cachedKinds.ts.
 */
export function slimShape<T extends KubeObject>(resource: ResourceRef): CacheShape<T> {
  return cacheShape<T>(resource, 'slim', 'all');
}
