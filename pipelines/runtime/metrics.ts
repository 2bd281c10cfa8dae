/**
 * The metrics every service shares, defined once. A service creates one
 * `ServiceMetrics` (its own prom-client registry, so that two services in one
 * process — `dockguard run`, tests — never collide) and calls the methods; the ops
 * server exposes `registry` on `/metrics`.
 *
 * Label sets are bounded, because an unbounded label is a memory leak in every
 * Prometheus server that scrapes us: reasons are error codes (a fixed list), levels
 * are Sigma's five, and the open-ended values (topic, rule id, state store) pass
 * through a `BoundedLabel` that folds everything past its limit into `_other`.
 * Never put a client address, container id or image name in a label: those belong
 * in events and findings.
 *
 *   dockguard_events_in_total{topic}                 records read / API calls captured
 *   dockguard_events_out_total{topic}                records written (events, findings)
 *   dockguard_findings_total{rule_id,level}          findings produced
 *   dockguard_events_dropped_total{reason}           events not processed (reason = error code)
 *   dockguard_dead_letters_total{reason}             records sent to the dead-letter topic
 *   dockguard_consumer_lag{topic,partition}          high watermark − committed offset
 *   dockguard_processing_seconds{stage}              latency histogram (stage: a fixed list)
 *   dockguard_state_keys{store}                      keys held by a detector state store
 *   dockguard_spool_bytes                            bytes in the collector's disk spool
 *   dockguard_build_info{version,node}               always 1
 * plus prom-client's process and Node.js metrics (memory, event loop lag, GC).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../../detectors/errors';

export type FindingLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';
const LEVELS: ReadonlySet<string> = new Set(['informational', 'low', 'medium', 'high', 'critical']);

/** Where time is spent; a fixed list so the histogram stays bounded. */
/** proxy_hold: what the proxy adds to a call, its time minus the Docker daemon's. */
export type ProcessingStage = 'capture' | 'publish' | 'decode' | 'detect' | 'index' | 'end_to_end' | 'proxy_hold';

/** Value used once a label has seen `limit` distinct values. */
export const OTHER = '_other';

/** Keeps the first `limit` distinct values of a label and maps any later one to `_other`. */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(readonly limit: number) {}

  value(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.limit) return OTHER;
    this.seen.add(v);
    return v;
  }
}

export interface MetricsOptions {
  /** Distinct rule ids kept as labels (the rule pack's size is the natural bound). Default 2000. */
  maxRules?: number;
  /** Distinct topics, and state stores. Default 64. */
  maxTopics?: number;
  /** Distinct partitions per topic for the lag gauge. Default 256. */
  maxPartitions?: number;
  /** Collect prom-client's process metrics (default true; tests switch it off for speed). */
  defaultMetrics?: boolean;
  version?: string;
}

export class ServiceMetrics {
  readonly registry: Registry;
  private readonly topics: BoundedLabel;
  private readonly rules: BoundedLabel;
  private readonly stores: BoundedLabel;
  private readonly partitions: BoundedLabel;
  private readonly eventsInC: Counter<'topic'>;
  private readonly eventsOutC: Counter<'topic'>;
  private readonly findingsC: Counter<'rule_id' | 'level'>;
  private readonly droppedC: Counter<'reason'>;
  private readonly deadLettersC: Counter<'reason'>;
  private readonly lagG: Gauge<'topic' | 'partition'>;
  private readonly processingH: Histogram<'stage'>;
  private readonly stateKeysG: Gauge<'store'>;
  private readonly spoolBytesG: Gauge;

  constructor(
    readonly service: string,
    options: MetricsOptions = {},
  ) {
    this.registry = new Registry();
    this.registry.setDefaultLabels({ service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'dockguard_' });
    this.topics = new BoundedLabel(options.maxTopics ?? 64);
    this.stores = new BoundedLabel(options.maxTopics ?? 64);
    this.rules = new BoundedLabel(options.maxRules ?? 2000);
    this.partitions = new BoundedLabel(options.maxPartitions ?? 256);
    const registers = [this.registry];
    this.eventsInC = new Counter({
      name: 'dockguard_events_in_total',
      help: 'Records read from Kafka, or Docker API calls captured by a collector',
      labelNames: ['topic'],
      registers,
    });
    this.eventsOutC = new Counter({
      name: 'dockguard_events_out_total',
      help: 'Records written (audit events, findings, documents indexed)',
      labelNames: ['topic'],
      registers,
    });
    this.findingsC = new Counter({
      name: 'dockguard_findings_total',
      help: 'Findings produced, by rule and level',
      labelNames: ['rule_id', 'level'],
      registers,
    });
    this.droppedC = new Counter({
      name: 'dockguard_events_dropped_total',
      help: 'Events not processed, by reason (an error code); a retry is not a drop',
      labelNames: ['reason'],
      registers,
    });
    this.deadLettersC = new Counter({
      name: 'dockguard_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by reason (an error code)',
      labelNames: ['reason'],
      registers,
    });
    this.lagG = new Gauge({
      name: 'dockguard_consumer_lag',
      help: 'Records between the committed offset and the high watermark, per partition',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.processingH = new Histogram({
      name: 'dockguard_processing_seconds',
      help: 'Processing latency by stage',
      labelNames: ['stage'],
      // 50 µs (one rule evaluation) to 30 s (a Kafka or Elasticsearch outage retried)
      buckets: [0.00005, 0.0002, 0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 30],
      registers,
    });
    this.stateKeysG = new Gauge({
      name: 'dockguard_state_keys',
      help: 'Keys held by a detector state store (correlations, baselines)',
      labelNames: ['store'],
      registers,
    });
    this.spoolBytesG = new Gauge({
      name: 'dockguard_spool_bytes',
      help: 'Bytes waiting in the collector disk spool while Kafka is unreachable',
      registers,
    });
    new Gauge({
      name: 'dockguard_build_info',
      help: 'Always 1; labels say what runs',
      labelNames: ['version', 'node'],
      registers,
    }).set({ version: options.version ?? packageVersion(), node: process.versions.node }, 1);
  }

  eventsIn(topic: string, n = 1): void {
    this.eventsInC.inc({ topic: this.topics.value(topic) }, n);
  }

  eventsOut(topic: string, n = 1): void {
    this.eventsOutC.inc({ topic: this.topics.value(topic) }, n);
  }

  finding(ruleId: string, level: FindingLevel | string): void {
    this.findingsC.inc({ rule_id: this.rules.value(ruleId), level: LEVELS.has(level) ? level : OTHER });
  }

  dropped(reason: ErrorCode, n = 1): void {
    this.droppedC.inc({ reason }, n);
  }

  deadLettered(reason: ErrorCode, n = 1): void {
    this.deadLettersC.inc({ reason }, n);
  }

  consumerLag(topic: string, partition: number, lag: number): void {
    this.lagG.set({ topic: this.topics.value(topic), partition: this.partitions.value(String(partition)) }, lag);
  }

  /** Records one duration in seconds. */
  observe(stage: ProcessingStage, seconds: number): void {
    this.processingH.observe({ stage }, seconds);
  }

  /** Starts a timer; call the returned function when done. */
  timer(stage: ProcessingStage): () => number {
    return this.processingH.startTimer({ stage });
  }

  stateKeys(store: string, keys: number): void {
    this.stateKeysG.set({ store: this.stores.value(store) }, keys);
  }

  spoolBytes(bytes: number): void {
    this.spoolBytesG.set(bytes);
  }
}

/** From package.json: two levels up from the sources, three from dist/. */
function packageVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const pkg = require(rel) as { name?: string; version?: string };
      if (pkg.name === 'dockguard' && pkg.version) return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
