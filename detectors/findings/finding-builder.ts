/**
 * Builds the `Finding` record (schemas/avro/finding.avsc) from a Sigma detection,
 * a correlation match, a baseline deviation or an intel hit.
 *
 * The id is deterministic — hex SHA-256 of the kind, rule id, rule version and what
 * triggered it (the event id; for a correlation the group and window start; for a
 * baseline its key and the event id) — so a replay after a crash yields the same
 * ids and the Elasticsearch sink de-duplicates. Nothing time- or instance-dependent
 * (`created`, `detector`) enters it.
 */
import type {
  BaselineDetails,
  CorrelationDetails,
  Finding,
  FindingKind,
  IntelDetails,
  MatchedField,
  Threat,
} from '../../schemas/generated/finding';
import { threatFromTags } from './attack';
import { clientKey } from './client-key';
import { bounded, fieldNumber, fieldString, fieldStrings } from './event-fields';
import { canonicalJson, sha256Hex } from './hash';
import type { RuleInfo } from './rule-info';
import { severityOf } from './severity';

/**
 * Bounds that keep one finding small whatever the event or window held. A client
 * controls most of these texts (a URL of up to 1 MiB through the authorization
 * plugin, an image name, a TLS subject): unbounded, one crafted call could yield a
 * finding Kafka refuses (max.message.bytes), and the detector would retry its
 * partition forever. The audit event keeps every value in full (joined by
 * dockguard.event_ids).
 */
export const FINDING_LIMITS = {
  eventIds: 50,
  matchedFields: 32,
  matchedValueChars: 256,
  messageChars: 512,
  commandLineChars: 2048,
  /** Any other text copied from the event or the detector's details (URL, image, user, keys, indicators). */
  textChars: 2048,
  /** Details kept as canonical JSON (correlation group, baseline expectation); valid JSON when cut. */
  jsonChars: 8192,
};

export interface FindingOrigin {
  /** Event time of the finding, epoch ms. */
  time: number;
  /** Processing time, epoch ms (not part of the id). */
  created: number;
  /** Instance id of the detector. */
  detector: string;
  /** The event whose fields fill the ECS copies (source, url, container, …); may be a synthetic group object. */
  event: unknown;
}

export interface FindingInput {
  kind: FindingKind;
  rule: RuleInfo;
  origin: FindingOrigin;
  /** What triggered it besides the rule, hashed into the id. */
  idParts: readonly unknown[];
  eventIds: readonly string[];
  eventCount: number;
  /** Extra words for the message (the key parameters). */
  detail?: string;
  correlation?: CorrelationDetails;
  baseline?: BaselineDetails;
  intel?: IntelDetails;
}

// rules are few and their tags fixed: parse each tag list once (bounded, for baseline and intel rule infos built per finding)
const threatCache = new Map<string, Threat>();
function threatOf(tags: readonly string[]): Threat {
  const k = tags.join('\n');
  let t = threatCache.get(k);
  if (!t) {
    t = threatFromTags(tags);
    if (threatCache.size < 10_000) threatCache.set(k, t);
  }
  // a copy: a caller that edits its finding must not edit the next one
  return {
    framework: t.framework,
    tactic: { id: [...t.tactic.id], name: [...t.tactic.name] },
    technique: { id: [...t.technique.id], name: [...t.technique.name] },
  };
}

export function findingId(kind: FindingKind, rule: RuleInfo, idParts: readonly unknown[]): string {
  return sha256Hex(canonicalJson([kind, rule.id, rule.version, ...idParts]));
}

/** The fields the rule reads and the event's values for them (present fields only, bounded). */
export function matchedFields(event: unknown, fields: readonly string[]): MatchedField[] {
  const out: MatchedField[] = [];
  for (const field of fields) {
    if (out.length >= FINDING_LIMITS.matchedFields) break;
    const values = fieldStrings(event, field);
    if (values.length === 0) continue;
    const value = values.length === 1 ? (values[0] as string) : JSON.stringify(values);
    out.push({ field, value: bounded(value, FINDING_LIMITS.matchedValueChars) });
  }
  return out;
}

/** A text copied from the event or the details, cut to FINDING_LIMITS.textChars. */
function text(s: string): string;
function text(s: string | null): string | null;
function text(s: string | null): string | null {
  return s === null ? null : bounded(s, FINDING_LIMITS.textChars);
}

/** Canonical JSON over the bound becomes a JSON object saying so, with the start of the text. */
export function boundedJson(json: string, max = FINDING_LIMITS.jsonChars): string {
  if (json.length <= max) return json;
  // the start is escaped again inside the wrapper (a quote or backslash doubles): cut it shorter until it fits
  let keep = Math.max(0, max - 64);
  for (;;) {
    const out = JSON.stringify({ truncated_from_chars: json.length, start: json.slice(0, keep) });
    if (out.length <= max || keep === 0) return out;
    keep = Math.max(0, keep - (out.length - max));
  }
}

function messageOf(input: FindingInput, client: string, endpoint: string | null, method: string | null): string {
  const call = [method, endpoint].filter((x) => x !== null).join(' ');
  const parts = [`${input.rule.name}: client ${client}`];
  if (call) parts.push(call);
  if (input.detail) parts.push(input.detail);
  return bounded(parts.join(' — '), FINDING_LIMITS.messageChars);
}

export function buildFinding(input: FindingInput): Finding {
  const ev = input.origin.event;
  const sev = severityOf(input.rule.level);
  const client = clientKey(ev);
  const endpoint = fieldString(ev, 'dockguard.endpoint');
  const method = fieldString(ev, 'http.request.method');
  const commandLine = fieldString(ev, 'process.command_line');
  // over the bound, the first and the last halves: how the activity began and what completed it
  const max = FINDING_LIMITS.eventIds;
  const ids =
    input.eventIds.length <= max
      ? [...input.eventIds]
      : [...input.eventIds.slice(0, max >> 1), ...input.eventIds.slice(input.eventIds.length - (max - (max >> 1)))];
  return {
    timestamp: input.origin.time,
    finding: {
      id: findingId(input.kind, input.rule, input.idParts),
      kind: input.kind,
      created: input.origin.created,
      detector: input.origin.detector,
    },
    event: { severity: sev.severity, risk_score: sev.risk_score, level: sev.level },
    rule: {
      id: input.rule.id,
      name: input.rule.name,
      version: input.rule.version,
      description: input.rule.description,
      reference: [...input.rule.reference],
      tags: [...input.rule.tags],
      ruleset: input.rule.ruleset,
    },
    threat: threatOf(input.rule.tags),
    message: messageOf(input, client, endpoint, method),
    source: { ip: text(fieldString(ev, 'source.ip')), port: fieldNumber(ev, 'source.port') },
    host: { name: text(fieldString(ev, 'host.name')) },
    user: { name: text(fieldString(ev, 'user.name')) },
    http: { request: { method: text(method) } },
    url: { path: text(fieldString(ev, 'url.path')), original: text(fieldString(ev, 'url.original')) },
    container: {
      id: text(fieldString(ev, 'container.id')),
      image: { name: text(fieldString(ev, 'container.image.name')) },
    },
    process: {
      command_line: commandLine === null ? null : bounded(commandLine, FINDING_LIMITS.commandLineChars),
    },
    dockguard: {
      endpoint: text(endpoint),
      client_key: text(client),
      event_ids: ids,
      event_count: input.eventCount,
      matched: matchedFields(ev, input.rule.fields),
      correlation: input.correlation ? { ...input.correlation, group: boundedJson(input.correlation.group) } : null,
      baseline: input.baseline
        ? {
            ...input.baseline,
            key: text(input.baseline.key),
            observed: text(input.baseline.observed),
            expected: boundedJson(input.baseline.expected),
          }
        : null,
      intel: input.intel
        ? {
            indicator: text(input.intel.indicator),
            type: input.intel.type,
            source: text(input.intel.source),
            field: text(input.intel.field),
          }
        : null,
      collector: { id: text(fieldString(ev, 'collector.id')), mode: text(fieldString(ev, 'collector.mode')) },
    },
  };
}
