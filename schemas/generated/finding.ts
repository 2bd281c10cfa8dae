// Generated from schemas/avro/finding.avsc by schemas/avro-to-ts.ts (npm run schemas:types). Do not edit.

export type FindingKind = 'sigma' | 'correlation' | 'baseline' | 'threat_intel';

export interface FindingMeta {
  /** Deterministic: a hash of the detector kind, rule id and version, and the triggering event ids (or the window and group key). */
  id: string;
  kind: FindingKind;
  /** Processing time when the detector emitted it, epoch milliseconds (not part of the id). */
  created: number;
  /** Instance id of the detector that emitted it. */
  detector: string;
}

export interface FindingEvent {
  /** ECS event.severity: informational 1, low 21, medium 47, high 73, critical 99. */
  severity: number;
  /** ECS event.risk_score, 0-100. */
  risk_score: number;
  /** The Sigma level: informational, low, medium, high, critical. */
  level: string;
}

export interface FindingRule {
  /** Sigma rule id (UUID), or the baseline or intel detector id. */
  id: string;
  /** The rule title. */
  name: string;
  /** Content hash of the rule as loaded, so a changed rule yields new finding ids. */
  version: string;
  description: null | string;
  reference: Array<string>;
  tags: Array<string>;
  /** The rule file, relative to the rules directory. */
  ruleset: null | string;
}

export interface ThreatTactic {
  id: Array<string>;
  name: Array<string>;
}

export interface ThreatTechnique {
  id: Array<string>;
  name: Array<string>;
}

/** ATT&CK from the rule's attack.* tags (parallel arrays, as ECS stores them). */
export interface Threat {
  framework: string;
  tactic: ThreatTactic;
  technique: ThreatTechnique;
}

export interface FindingSource {
  ip: null | string;
  port: null | number;
}

export interface FindingHost {
  name: null | string;
}

export interface FindingUser {
  name: null | string;
}

export interface FindingHttpRequest {
  method: null | string;
}

export interface FindingHttp {
  request: FindingHttpRequest;
}

export interface FindingUrl {
  path: null | string;
  original: null | string;
}

export interface FindingContainerImage {
  name: null | string;
}

export interface FindingContainer {
  id: null | string;
  image: FindingContainerImage;
}

export interface FindingProcess {
  command_line: null | string;
}

export interface MatchedField {
  field: string;
  value: string;
}

export interface CorrelationDetails {
  /** event_count, value_count, temporal, temporal_ordered, ... */
  type: string;
  /** The group-by values as canonical JSON. */
  group: string;
  window_start: number;
  window_end: number;
  /** The aggregated value (count, distinct values, sum, ...). */
  value: null | number;
  rules: Array<string>;
}

export interface BaselineDetails {
  /** first_seen, rate, time_of_access, geography. */
  kind: string;
  /** The baseline key, e.g. client+endpoint. */
  key: string;
  /** What was seen, as text (a value, a rate, an hour of the week). */
  observed: string;
  /** The baseline it was compared with, as canonical JSON. */
  expected: string;
  score: null | number;
}

export interface IntelDetails {
  indicator: string;
  /** ip, cidr, domain, url, image, digest, hash. */
  type: string;
  /** The indicator file or feed. */
  source: string;
  /** The event field it was found in. */
  field: string;
}

export interface FindingCollector {
  id: null | string;
  mode: null | string;
}

export interface FindingDetails {
  /** Endpoint template of the triggering call. */
  endpoint: null | string;
  /** The client as the detectors key it: source.ip, else the TLS subject, else the authz user, else the collector id. */
  client_key: string;
  /** The audit events that contributed, oldest first (bounded; see event_count). */
  event_ids: Array<string>;
  event_count: number;
  /** The event fields the rule read and their values, as the analyst needs them to judge the finding. */
  matched: Array<MatchedField>;
  correlation: null | CorrelationDetails;
  baseline: null | BaselineDetails;
  intel: null | IntelDetails;
  collector: FindingCollector;
}

/** A detection: a Sigma rule match, a correlation, a baseline deviation or a threat-intelligence hit. Field names follow ECS (event.kind alert, rule.*, threat.*), so the indexer writes them to Elasticsearch as they are; what ECS lacks lives under `dockguard`. The id is deterministic, so a replay yields the same finding and the sink de-duplicates. */
export interface Finding {
  /** Event time of the finding: the time of the last triggering event (correlations: the event that completed the window), epoch milliseconds (@timestamp). */
  timestamp: number;
  finding: FindingMeta;
  event: FindingEvent;
  rule: FindingRule;
  threat: Threat;
  /** One line for the analyst: what happened, who, which parameters matched. */
  message: string;
  source: FindingSource;
  host: FindingHost;
  user: FindingUser;
  http: FindingHttp;
  url: FindingUrl;
  container: FindingContainer;
  process: FindingProcess;
  dockguard: FindingDetails;
}
