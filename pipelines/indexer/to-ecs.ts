/**
 * Finding and audit event (as decoded from Avro) → the Elasticsearch document.
 * The Avro field names are already ECS, so this only adds the ECS constants
 * (`event.kind`, `event.module`, `event.dataset`), turns epoch milliseconds into
 * ISO dates, moves `rule.tags` to ECS `tags`, and leaves out nulls (Elasticsearch
 * treats a null like a missing field; leaving it out keeps `_source` small).
 * Pure: no I/O, no clock.
 */
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { Finding } from '../../schemas/generated/finding';

export const EVENT_MODULE = 'dockguard';
export const FINDINGS_DATASET = 'dockguard.findings';
export const AUDIT_DATASET = 'dockguard.audit';

export interface EcsDocument {
  /** `_id`: the finding id or the audit event id, so a replay is a 409, not a duplicate. */
  id: string;
  doc: Record<string, unknown>;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Drops null and undefined members, recursively (arrays keep their non-null items). */
export function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(withoutNulls);
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = withoutNulls(x);
  return out;
}

export function findingToEcs(f: Finding): EcsDocument {
  const { tags, ...rule } = f.rule;
  const correlation = f.dockguard.correlation && {
    ...f.dockguard.correlation,
    window_start: iso(f.dockguard.correlation.window_start),
    window_end: iso(f.dockguard.correlation.window_end),
  };
  const doc = {
    '@timestamp': iso(f.timestamp),
    event: {
      kind: 'alert',
      module: EVENT_MODULE,
      dataset: FINDINGS_DATASET,
      severity: f.event.severity,
      risk_score: f.event.risk_score,
      level: f.event.level,
      created: iso(f.finding.created),
    },
    finding: { ...f.finding, created: iso(f.finding.created) },
    rule,
    tags,
    threat: f.threat,
    message: f.message,
    source: f.source,
    host: f.host,
    user: f.user,
    http: f.http,
    url: f.url,
    container: f.container,
    process: f.process,
    dockguard: { ...f.dockguard, correlation },
  };
  return { id: f.finding.id, doc: withoutNulls(doc) as Record<string, unknown> };
}

export function auditToEcs(e: DockerApiEvent): EcsDocument {
  const { timestamp, event, ...rest } = e;
  const doc = {
    '@timestamp': iso(timestamp),
    event: { ...event, kind: 'event', module: EVENT_MODULE, dataset: AUDIT_DATASET },
    ...rest,
  };
  return { id: e.event.id, doc: withoutNulls(doc) as Record<string, unknown> };
}
