/**
 * The pure detector: audit events in, findings out, per input partition.
 *
 * For each event: the Sigma engine (detections, and correlations over the
 * partition's windows), the baselines (over the partition's baseline keys) and the
 * threat-intelligence set. Each detector's exception is caught per event and
 * returned as a DETECTOR_FAILED failure (the caller sends the event to the
 * dead-letter topic); the other detectors still run and nothing crashes.
 *
 * Event time comes from the event (`@timestamp`, else `timestamp`); an event
 * older than the partition's watermark minus the allowed lateness is still matched
 * statelessly (detections, intel) but not folded into correlation windows or
 * baselines, and counted (`PartitionState.meta.late`): a replayed or delayed
 * event must not rewrite history.
 *
 * Rules, baselines and intel are swapped atomically by `reload`: the caller
 * validates the new sets first; if building engines from them throws, the old
 * ones stay. The Kafka detector service and `dockguard run` both build on this.
 */
import type { Finding } from '../schemas/generated/finding';
import type { BaselineDef } from './baselines/baseline-config';
import { BaselineEngine, type Deviation } from './baselines/baseline-engine';
import type { GeoIpTable } from './baselines/geoip';
import { DockguardError } from './errors';
import { buildFinding, type FindingOrigin } from './findings/finding-builder';
import { fieldFirstRaw, fieldString } from './findings/event-fields';
import { canonicalJson } from './findings/hash';
import {
  contentVersion,
  correlationRuleInfo,
  detectionRuleInfo,
  relativeRuleset,
  type RuleInfo,
} from './findings/rule-info';
import { IndicatorSet } from './intel/indicator-set';
import { matchIntel, type IntelHit } from './intel/intel-matcher';
import type { CompiledRules } from './sigma/compile-engine';
import { CorrelationEngine, type CorrelationMatch } from './sigma/correlation';
import { SigmaEngine, type EngineOutput } from './sigma/engine';
import { EventContext } from './sigma/event-context';
import { DEFAULT_TIMESTAMP_FIELDS, parseTimestamp } from './sigma/event-time';
import type { DetectionRule } from './sigma/rule-types';
import { PartitionState } from './state/partition-state';

export interface DetectorSets {
  rules: CompiledRules;
  baselines: readonly BaselineDef[];
  intel: IndicatorSet;
  geo?: GeoIpTable;
  /** The rules directory, so `rule.ruleset` is relative to it. */
  rulesRoot?: string;
}

export interface DetectorPipelineOptions {
  /** Instance id written to `finding.detector`. */
  detector?: string;
  /** Processing time for `finding.created`; default: the finding's event time (deterministic). */
  clock?: () => number;
  /** How far behind the watermark an event may be and still update state; default 5 minutes. */
  allowedLatenessMs?: number;
  timestampFields?: readonly string[];
  /** Hits kept per correlation group; default 1,000. */
  maxEventsPerGroup?: number;
  /** Correlation groups kept per partition; default 100,000. */
  maxCorrelationKeys?: number;
  /** How often (event time) idle baseline keys are swept; default 1 hour. */
  expireEveryMs?: number;
}

export interface EventPosition {
  partition: number;
  offset: number;
}

export interface ProcessResult {
  findings: Finding[];
  /** DETECTOR_FAILED, one per detector that threw on this event (a shared empty list when none). */
  failures: readonly DockguardError[];
  /** The event was beyond the allowed lateness: matched statelessly only. */
  late: boolean;
}

interface Engines {
  sets: DetectorSets;
  baselines: BaselineEngine;
  suppressed: ReadonlySet<string>;
}

interface Partition {
  state: PartitionState;
  sigma: SigmaEngine;
  corr: CorrelationEngine | undefined;
  /** Matches produced while restoring (a window already due), emitted with the next call. */
  pending: Finding[];
}

const INTEL_RULE_ID = 'dockguard-threat-intel';
const NO_FAILURES: readonly DockguardError[] = Object.freeze([]);

export class DetectorPipeline {
  private engines: Engines;
  private readonly partitions = new Map<number, Partition>();
  private readonly detector: string;
  private readonly lateness: number;
  private readonly timestampFields: readonly string[];
  private readonly maxEventsPerGroup: number;
  private readonly maxCorrelationKeys: number | undefined;
  private readonly expireEvery: number;
  private readonly baselineInfos = new WeakMap<BaselineDef, RuleInfo>();

  constructor(
    sets: DetectorSets,
    private readonly options: DetectorPipelineOptions = {},
  ) {
    this.detector = options.detector ?? 'dockguard';
    this.lateness = options.allowedLatenessMs ?? 300_000;
    this.timestampFields = options.timestampFields ?? DEFAULT_TIMESTAMP_FIELDS;
    this.maxEventsPerGroup = options.maxEventsPerGroup ?? 1_000;
    this.maxCorrelationKeys = options.maxCorrelationKeys;
    this.expireEvery = options.expireEveryMs ?? 3_600_000;
    this.engines = this.buildEngines(sets);
  }

  private buildEngines(sets: DetectorSets): Engines {
    const probe =
      sets.rules.correlations.length > 0
        ? new CorrelationEngine(sets.rules.correlations, sets.rules.resolve, new PartitionState(-1).correlation)
        : undefined;
    return {
      sets,
      baselines: new BaselineEngine(sets.baselines, sets.geo),
      suppressed: probe ? probe.suppressedRuleKeys() : new Set(),
    };
  }

  private attach(state: PartitionState, sets: DetectorSets): Partition {
    const rules = sets.rules;
    const corr =
      rules.correlations.length > 0
        ? new CorrelationEngine(rules.correlations, rules.resolve, state.correlation, {
            maxEventsPerGroup: this.maxEventsPerGroup,
          })
        : undefined;
    const part: Partition = { state, sigma: new SigmaEngine(rules.ruleSet, corr), corr, pending: [] };
    // the engine's watermark is not part of the state: bring it back, so windows close as they would have
    if (corr && Number.isFinite(state.meta.w))
      for (const m of corr.advance(state.meta.w)) part.pending.push(this.correlationFinding(part, m, undefined));
    return part;
  }

  private partition(p: number): Partition {
    let part = this.partitions.get(p);
    if (!part) {
      part = this.attach(new PartitionState(p, { maxCorrelationKeys: this.maxCorrelationKeys }), this.engines.sets);
      this.partitions.set(p, part);
    }
    return part;
  }

  /** The state of a partition (created empty on first use): snapshot it or drain its changes. */
  state(partition: number): PartitionState {
    return this.partition(partition).state;
  }

  /** Replaces a partition's state, e.g. restored from a snapshot or changelog after a rebalance. */
  restore(state: PartitionState): void {
    this.partitions.set(state.partition, this.attach(state, this.engines.sets));
  }

  /** Forgets a partition (revoked in a rebalance). */
  release(partition: number): void {
    this.partitions.delete(partition);
  }

  /**
   * Swaps rules, baselines and intel. Engines for every partition are built before
   * anything is replaced, so a set that fails to build leaves the old one running.
   * State of correlations and baselines no longer loaded is dropped.
   */
  reload(sets: DetectorSets): void {
    const engines = this.buildEngines(sets);
    const rebuilt = new Map<number, Partition>();
    for (const [p, part] of this.partitions) rebuilt.set(p, this.attach(part.state, sets));
    this.engines = engines;
    for (const [p, part] of rebuilt) {
      part.pending.unshift(...(this.partitions.get(p)?.pending ?? []));
      const keep = new Set<string>();
      if (part.corr) for (const c of sets.rules.correlations) keep.add(part.corr.keyOf(c) ?? '');
      const store = part.state.correlation;
      for (const k of [...store.keys()]) if (!keep.has(store.get(k)?.rule ?? '')) store.delete(k);
      part.state.baselines.retain(new Set(sets.baselines.map((b) => b.id)));
      this.partitions.set(p, part);
    }
  }

  process(event: unknown, pos: EventPosition): ProcessResult {
    const part = this.partition(pos.partition);
    const state = part.state;
    const findings: Finding[] = part.pending.length > 0 ? part.pending.splice(0) : [];
    let failures: DockguardError[] | undefined;
    const meta = state.meta;
    const t = this.eventTime(event) ?? (Number.isFinite(meta.w) ? meta.w : 0);
    const late = Number.isFinite(meta.w) && t < meta.w - this.lateness;
    const eventId = fieldString(event, 'event.id') ?? `${pos.partition}:${pos.offset}`;

    try {
      if (late) {
        for (const rule of this.statelessMatches(event)) findings.push(this.sigmaFinding(rule, event, eventId, t));
      } else {
        const before = state.correlation.changes;
        const outs = part.sigma.process(event, pos.offset, t);
        // this event may now be referenced by a correlation window: remember its id
        if (state.correlation.changes !== before) state.addRef(pos.offset, { i: eventId, t });
        for (const o of outs) findings.push(this.outputFinding(part, o, event, eventId, pos.offset, t));
      }
    } catch (e) {
      (failures ??= []).push(this.failure('sigma', e, eventId, pos));
    }

    if (!late) {
      try {
        const deviations = this.engines.baselines.evaluate(event, t, state.baselines);
        for (const d of deviations) findings.push(this.baselineFinding(d, event, eventId, t));
        if (t - meta.x >= this.expireEvery) {
          this.engines.baselines.expire(t, state.baselines);
          state.updateMeta(meta.w, t, meta.late);
        }
      } catch (e) {
        (failures ??= []).push(this.failure('baselines', e, eventId, pos));
      }
    }

    try {
      const hits = matchIntel(event, this.engines.sets.intel);
      for (const h of hits) findings.push(this.intelFinding(h, event, eventId, t));
    } catch (e) {
      (failures ??= []).push(this.failure('intel', e, eventId, pos));
    }

    const w = late || t <= meta.w ? meta.w : t;
    const x = Number.isFinite(meta.x) ? meta.x : t;
    // in place: the watermark moves on nearly every event (an event at or before it moves nothing)
    state.updateMeta(w, x, meta.late + (late ? 1 : 0));
    return { findings, failures: failures ?? NO_FAILURES, late };
  }

  /** Event time: the first of the timestamp fields holding an ISO-8601 string or epoch ms (as sigma's eventTime). */
  private eventTime(event: unknown): number | undefined {
    for (const f of this.timestampFields) {
      const t = parseTimestamp(fieldFirstRaw(event, f));
      if (t !== undefined) return t;
    }
    return undefined;
  }

  private failure(detector: string, e: unknown, eventId: string, pos: EventPosition): DockguardError {
    return new DockguardError({
      stage: 'runtime',
      code: 'DETECTOR_FAILED',
      message: `${detector} failed on event ${eventId} (partition ${pos.partition}, offset ${pos.offset}): ${
        e instanceof Error ? e.message : String(e)
      }`,
      cause: e,
    });
  }

  /** End of input: windows decided on close are decided now, for every partition. */
  flush(): Finding[] {
    const out: Finding[] = [];
    for (const part of this.partitions.values()) {
      out.push(...part.pending.splice(0));
      if (!part.corr) continue;
      for (const m of part.corr.flush()) out.push(this.correlationFinding(part, m, undefined));
    }
    return out;
  }

  private statelessMatches(event: unknown): DetectionRule[] {
    const rs = this.engines.sets.rules.ruleSet;
    return rs
      .matchIndexes(event, new EventContext(event))
      .map((i) => rs.rules[i] as DetectionRule)
      .filter((r) => !this.engines.suppressed.has(r.key));
  }

  private origin(time: number, event: unknown): FindingOrigin {
    return { time, created: this.options.clock ? this.options.clock() : time, detector: this.detector, event };
  }

  private outputFinding(
    part: Partition,
    o: EngineOutput,
    event: unknown,
    eventId: string,
    offset: number,
    t: number,
  ): Finding {
    if (o.kind === 'detection') return this.sigmaFinding(o.rule, event, eventId, t);
    return this.correlationFinding(part, o.match, o.match.eventRefs.includes(offset) ? event : undefined);
  }

  private sigmaFinding(rule: DetectionRule, event: unknown, eventId: string, t: number): Finding {
    const info = detectionRuleInfo(rule, this.engines.sets.rulesRoot);
    return buildFinding({
      kind: 'sigma',
      rule: info,
      origin: this.origin(t, event),
      idParts: [eventId],
      eventIds: [eventId],
      eventCount: 1,
    });
  }

  /** `event`: the current event when it is one of the match's; else the group stands in for it. */
  private correlationFinding(part: Partition, m: CorrelationMatch, event: unknown): Finding {
    const info = correlationRuleInfo(m.rule, m.ruleKey);
    const ids: string[] = [];
    let start = m.time;
    for (const ref of m.eventRefs) {
      const r = part.state.refs.get(ref);
      ids.push(r?.i ?? `${part.state.partition}:${ref}`);
      if (r && r.t < start) start = r.t;
    }
    const group = canonicalJson(m.group);
    const values = Object.entries(m.group)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ');
    return buildFinding({
      kind: 'correlation',
      rule: info,
      origin: this.origin(m.time, event ?? m.group),
      idParts: [group, start],
      eventIds: ids,
      eventCount: m.eventRefs.length,
      detail: `${m.rule.type} of ${m.rule.rules.join(', ')} within ${m.rule.timespan}${values ? ` for ${values}` : ''}`,
      correlation: {
        type: m.rule.type,
        group,
        window_start: start,
        window_end: m.time,
        value: m.value ?? null,
        rules: [...m.rule.rules],
      },
    });
  }

  private baselineInfo(def: BaselineDef): RuleInfo {
    const cached = this.baselineInfos.get(def);
    if (cached) return cached;
    const valueField = def.kind === 'first_seen' ? [def.value] : [];
    const info: RuleInfo = {
      id: def.id,
      name: def.title,
      version: def.version,
      description: def.description,
      reference: def.references,
      tags: def.tags,
      ruleset: relativeRuleset(def.file, this.engines.sets.rulesRoot),
      level: def.level,
      fields: [...new Set([...def.key, ...valueField, ...def.filter.map(([f]) => f)])].filter((f) => f !== 'client'),
    };
    this.baselineInfos.set(def, info);
    return info;
  }

  private baselineFinding(d: Deviation, event: unknown, eventId: string, t: number): Finding {
    const def = d.def;
    const info = this.baselineInfo(def);
    return buildFinding({
      kind: 'baseline',
      rule: info,
      origin: this.origin(t, event),
      idParts: [d.key, eventId],
      eventIds: [eventId],
      eventCount: 1,
      detail: d.detail,
      baseline: {
        kind: def.kind,
        key: d.key,
        observed: d.observed,
        expected: canonicalJson(d.expected),
        score: d.score,
      },
    });
  }

  private intelFinding(h: IntelHit, event: unknown, eventId: string, t: number): Finding {
    const ind = h.indicator;
    const info: RuleInfo = {
      id: INTEL_RULE_ID,
      name: `Threat Intelligence Match (${ind.type})`,
      version: contentVersion({ type: ind.type, value: ind.value }),
      description: ind.description ?? null,
      reference: [],
      tags: [],
      ruleset: relativeRuleset(ind.source, this.engines.sets.rulesRoot),
      level: 'high',
      fields: [h.field],
    };
    return buildFinding({
      kind: 'threat_intel',
      rule: info,
      origin: this.origin(t, event),
      idParts: [eventId, h.field, ind.type, ind.value],
      eventIds: [eventId],
      eventCount: 1,
      detail: `${ind.type} ${ind.value} (${ind.source}) in ${h.field}`,
      intel: { indicator: ind.value, type: ind.type, source: ind.source, field: h.field },
    });
  }
}
