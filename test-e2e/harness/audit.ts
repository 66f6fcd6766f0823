// The lab API server's audit log (hack/lab.sh: every write at Metadata level, JSON lines).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { lab } from './lab';

export interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  responseStatus?: { code?: number };
  requestReceivedTimestamp: string;
  stage: string;
}

export function auditLogPath(): string {
  return path.join(lab().dir, 'logs', 'audit.log');
}

/** Every completed request the audit log holds (fails when the lab runs without it). */
export function auditEvents(): AuditEvent[] {
  const file = auditLogPath();
  if (!existsSync(file)) throw new Error(`${file} missing: the lab's API server runs without an audit log (LAB_APISERVER_AUDIT=false?)`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete');
}

/** "kind/namespace/name" of an audit event, for messages. */
export function auditTarget(e: AuditEvent): string {
  const o = e.objectRef ?? {};
  return `${e.verb} ${o.resource ?? '?'}${o.subresource ? '/' + o.subresource : ''} ${o.namespace ?? ''}/${o.name ?? ''} ${e.responseStatus?.code ?? ''}`;
}
