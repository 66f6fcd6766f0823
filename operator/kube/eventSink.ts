// Where reconcilers send Kubernetes Events: the EventRecorder (./events.ts) implements it,
// unit tests use FakeEventSink (./testing.ts).
import type { KubeObject } from './resources';

export interface Problem {
  /** CamelCase Event reason, e.g. InvalidAnnotation. */
  reason: string;
  message: string;
}

export interface EventSink {
  normal(obj: KubeObject, reason: string, message: string): void;
  warning(obj: KubeObject, reason: string, message: string): void;
  /**
   * The current problems of one object. One Warning Event per (object, reason) is sent when
   * that reason's problems changed since the last call; an unchanged set sends nothing, so
   * calling this on every reconcile is free. An empty list forgets the object.
   */
  problems(obj: KubeObject, problems: readonly Problem[]): void;
}
