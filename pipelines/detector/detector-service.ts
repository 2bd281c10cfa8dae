/**
 * The detector service: a Kafka consumer group over the audit topic. Per batch of
 * one partition: decode each record, run the DetectorPipeline with that
 * partition's state, then produce the findings and the dead letters and wait for
 * Kafka's acks. A checkpoint follows every detector.checkpointIntervalMs (and on
 * a graceful stop):
 *   1. write the partition's state changes since the last checkpoint (and the last
 *      input offset folded in) to the changelog and wait for the acks,
 *   2. let the consumer commit the input offsets through that offset.
 * A crash anywhere re-delivers what was not committed: findings come again with
 * the same deterministic ids (the sink de-duplicates), and the state restored
 * from the changelog skips events already folded in. At least once, never lost.
 * Checkpointing on an interval rather than per batch is what Kafka Streams does
 * (commit.interval.ms): a key changed by many events is written once, which took
 * the changelog from the largest cost of the service to a small one.
 *
 * An undecodable, oversized or empty record, and an event a detector throws on,
 * go to the dead-letter topic with the reason in headers; the partition moves on.
 * A detector's exception is deterministic (the same event throws again), so the
 * event is dead-lettered at its first failure, with the findings of the detectors
 * that did not throw kept; what is retried (by re-delivery) are the batch's Kafka
 * writes.
 */
import type { Logger } from 'pino';
import { DetectorPipeline } from '../../detectors/detector-pipeline';
import { DockguardError, type ErrorCode } from '../../detectors/errors';
import { PartitionState } from '../../detectors/state/partition-state';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { Finding } from '../../schemas/generated/finding';
import { deadLetterRecord } from '../adapters/dead-letter';
import { changelogTopic, ensureTopics, pipelineTopics } from '../adapters/kafka-admin';
import type { KafkaConfig } from '../adapters/kafka-config';
import {
  KafkaConsumer,
  type BatchResult,
  type ConsumedRecord,
  type PartitionContext,
  type TopicPartitions,
} from '../adapters/kafka-consumer';
import { createRecordProducer, type ProducerRecord, type RecordProducer } from '../adapters/kafka-producer';
import { createKafkajsClient } from '../adapters/kafkajs-client';
import { AvroCodec } from '../codec/avro-codec';
import type { ServiceMetrics } from '../runtime/metrics';
import { changelogStore, type DetectorConfig } from './detector-config';
import { loadDetectorSets, swapSets, watchDetectorSets, type LoadedSets } from './detector-sets';
import { offsetKey, readChangelog } from './state-changelog';

export const AUDIT_SUBJECT = 'dockguard.docker-api-event';
export const FINDING_SUBJECT = 'dockguard.finding';

export interface DetectorServiceOptions {
  kafka: KafkaConfig;
  detector: DetectorConfig;
  logger: Logger;
  metrics?: ServiceMetrics;
  codec?: AvroCodec;
  /** Sets already loaded (and checked) by the caller; loaded from the configuration otherwise. */
  initialSets?: LoadedSets;
  /** The producer of findings, dead letters and the changelog (closed by stop); the configured client's otherwise. */
  producer?: RecordProducer;
}

export class DetectorService {
  private readonly log: Logger;
  private readonly codec: AvroCodec;
  private readonly pipeline: DetectorPipeline;
  private readonly producer: RecordProducer;
  private readonly consumer: KafkaConsumer;
  private readonly changelog: string;
  /** Per partition: the last offset processed, the last checkpoint, and what is not in Kafka yet. */
  private readonly partitions = new Map<number, PartitionProgress>();
  /** Batches and the stop checkpoint run one at a time. */
  private lane: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private watcher: { close(): void } | undefined;
  private restoring = 0;
  private started = false;
  readonly stats = {
    events: 0,
    findings: 0,
    deadLetters: 0,
    skippedReplayed: 0,
    reloads: 0,
    rejectedReloads: 0,
    checkpoints: 0,
    changelogRecords: 0,
  };

  constructor(private readonly o: DetectorServiceOptions) {
    this.log = o.logger.child({ component: 'detector' });
    this.codec = o.codec ?? new AvroCodec();
    const loaded = o.initialSets ?? loadDetectorSets(o.detector);
    if (!loaded.sets) {
      throw new DockguardError({
        stage: 'compile',
        code: 'CONFIG_INVALID',
        message: `detector: ${loaded.errorCount} error(s) in rules, baselines or indicators:\n${loaded.problems
          .filter((p) => p.severity === 'error')
          .map((p) => p.format())
          .join('\n')}`,
      });
    }
    this.log.info(loaded.counts, 'detector sets loaded');
    this.pipeline = new DetectorPipeline(loaded.sets, {
      detector: o.detector.instanceId,
      clock: () => Date.now(),
      allowedLatenessMs: o.detector.allowedLatenessMs,
      maxEventsPerGroup: o.detector.maxEventsPerGroup,
      maxCorrelationKeys: o.detector.maxCorrelationKeys,
    });
    this.producer = o.producer ?? createRecordProducer(o.kafka, o.logger);
    this.consumer = new KafkaConsumer(o.kafka, o.detector.groupId, o.logger);
    this.changelog = changelogTopic(o.kafka, changelogStore(o.detector)).topic;
  }

  /** Ensures topics, joins the group and starts consuming; resolves once running. */
  async start(): Promise<void> {
    await ensureTopics(this.o.kafka, this.o.logger, [
      ...pipelineTopics(this.o.kafka),
      changelogTopic(this.o.kafka, changelogStore(this.o.detector)),
    ]);
    if (this.o.detector.watch) {
      this.watcher = watchDetectorSets(
        this.o.detector,
        (loaded) => this.reload(loaded),
        (err) => this.log.warn({ err }, 'watching rule files failed'),
      );
    }
    await this.consumer.run({
      topics: [this.o.kafka.topics.audit],
      eachBatch: (records, ctx) => this.handleBatch(records, ctx),
      onAssigned: (tps) => this.onAssigned(tps),
      onRevoked: (tps) => this.onRevoked(tps),
    });
    this.started = true;
    // Batches checkpoint as they go; this covers partitions whose stream went quiet.
    if (this.o.detector.checkpointIntervalMs > 0) {
      this.idleTimer = setInterval(
        () => void this.checkpointQuiet(),
        Math.max(100, this.o.detector.checkpointIntervalMs),
      );
      this.idleTimer.unref();
    }
  }

  /** Ready once consuming and no partition is being restored. */
  ready(): boolean {
    return this.started && this.restoring === 0;
  }

  /** Swaps in a new set of rules, baselines and indicators; a set with errors is refused. */
  reload(loaded: LoadedSets): boolean {
    const ok = swapSets(this.pipeline, loaded, this.log);
    if (ok) this.stats.reloads++;
    else this.stats.rejectedReloads++;
    return ok;
  }

  private async onAssigned(tps: TopicPartitions[]): Promise<void> {
    const partitions = tps.filter((t) => t.topic === this.o.kafka.topics.audit).flatMap((t) => t.partitions);
    if (partitions.length === 0) return;
    this.restoring++;
    try {
      const kafka = createKafkajsClient(this.o.kafka, this.o.logger, '-restore');
      const restored = await readChangelog(kafka, this.changelog, partitions, this.log);
      for (const p of partitions) {
        const r = restored.get(p)!;
        const state = new PartitionState(p, { maxCorrelationKeys: this.o.detector.maxCorrelationKeys });
        for (const c of r.changes) state.applyChange(c.key, c.value);
        state.drainChanges(); // what was just read back needs no writing
        this.pipeline.restore(state);
        this.partitions.set(p, newProgress(r.lastOffset));
      }
    } finally {
      this.restoring--;
    }
  }

  private onRevoked(tps: TopicPartitions[]): void {
    for (const t of tps) {
      if (t.topic !== this.o.kafka.topics.audit) continue;
      for (const p of t.partitions) {
        // Not checkpointed: the new owner may be restoring already, and a late write
        // could overwrite what it writes. It replays from the last commit instead.
        this.pipeline.release(p);
        this.partitions.delete(p);
      }
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lane.then(fn, fn);
    this.lane = run.catch(() => undefined);
    return run;
  }

  private handleBatch(records: ConsumedRecord[], ctx: PartitionContext): Promise<BatchResult> {
    return this.exclusive(() => this.processBatch(records, ctx));
  }

  private async processBatch(records: ConsumedRecord[], ctx: PartitionContext): Promise<BatchResult> {
    const p = ctx.partition;
    const progress = this.progress(p);
    // writer schemas of records from producers this codec has not met (registry only)
    await this.codec.prefetch(records.map((r) => r.value));
    // Findings of a batch whose send failed go first when the batch comes again
    // (its events are in the state already, so they are skipped below).
    const out: ProducerRecord[] = progress.unsentFindings;
    progress.unsentFindings = [];
    const topics = this.o.kafka.topics;
    const metrics = this.o.metrics;
    const done = metrics?.timer('detect');
    let lastOffset = progress.lastOffset;
    for (const r of records) {
      const offset = Number(r.offset);
      if (offset <= lastOffset) {
        this.stats.skippedReplayed++;
        continue;
      }
      this.stats.events++;
      metrics?.eventsIn(topics.audit);
      const event = this.decode(r, out);
      if (event) {
        const result = this.pipeline.process(event, { partition: p, offset });
        for (const f of result.findings) out.push(this.findingRecord(f));
        if (result.failures.length > 0)
          this.deadLetter(r, out, 'DETECTOR_FAILED', result.failures.map((f) => f.message).join('; '));
      }
      lastOffset = offset;
      progress.events++;
    }
    progress.lastOffset = lastOffset;
    done?.();
    // Not awaited here: the next batch is processed while Kafka acknowledges these
    // records. Nothing is committed before they are: a checkpoint, which precedes
    // every commit, waits for them first (settleSends).
    if (out.length > 0)
      progress.inflight.push(
        this.producer.send(out).then(
          () => null,
          (error: unknown) => ({ error, records: out }),
        ),
      );
    const state = this.pipeline.state(p);
    metrics?.stateKeys('detector', state.correlation.size + state.baselines.size);
    metrics?.consumerLag(topics.audit, p, Number(BigInt(ctx.highWatermark) - 1n - BigInt(lastOffset)));
    const due =
      this.stopping ||
      Date.now() - progress.checkpointAt >= this.o.detector.checkpointIntervalMs ||
      progress.events >= this.o.detector.checkpointMaxEvents;
    if (due) await this.checkpoint(p);
    if (progress.checkpointed <= progress.committed) return { commit: null };
    progress.committed = progress.checkpointed;
    return { commit: String(progress.checkpointed) };
  }

  private progress(p: number): PartitionProgress {
    let progress = this.partitions.get(p);
    if (!progress) {
      progress = newProgress(-1);
      this.partitions.set(p, progress);
    }
    return progress;
  }

  /**
   * Waits for the partition's findings and dead letters in flight. Those of a send
   * that failed are kept, in their order, to go first when the batch comes again
   * (the error is rethrown, so the consumer delivers it again).
   */
  private async settleSends(progress: PartitionProgress): Promise<void> {
    if (progress.inflight.length === 0) return;
    const results = await Promise.all(progress.inflight.splice(0));
    const failed: ProducerRecord[] = [];
    let error: unknown;
    for (const r of results) {
      if (r === null) continue;
      error ??= r.error;
      failed.push(...r.records);
    }
    if (failed.length === 0) return;
    progress.unsentFindings = [...failed, ...progress.unsentFindings];
    throw error;
  }

  /** Writes the partition's changed state and its last offset to the changelog; resolves once Kafka has them. */
  private async checkpoint(p: number): Promise<void> {
    const progress = this.progress(p);
    // the offset committed after this checkpoint covers these findings: they must be in Kafka first
    await this.settleSends(progress);
    const lastOffset = progress.lastOffset;
    // pending correlation matches of a restored partition come with the next event; state changes now
    const changelog = progress.unsentChangelog;
    const state = this.pipeline.state(p);
    // references no correlation window holds any more are forgotten first: most of them
    // then never reach the changelog, instead of being written now and deleted later
    state.collectRefs();
    for (const c of state.drainChanges())
      changelog.push({
        topic: this.changelog,
        key: c.key,
        value: c.value === null ? null : Buffer.from(c.value),
        partition: p,
      });
    changelog.push({ topic: this.changelog, key: offsetKey(p), value: Buffer.from(String(lastOffset)), partition: p });
    progress.unsentChangelog = [];
    try {
      await this.producer.send(changelog);
    } catch (e) {
      // drained changes are not dirty any more: keep them for the next attempt
      progress.unsentChangelog = changelog;
      throw e;
    }
    this.stats.checkpoints++;
    this.stats.changelogRecords += changelog.length;
    progress.checkpointed = lastOffset;
    progress.checkpointAt = Date.now();
    progress.events = 0;
  }

  private decode(r: ConsumedRecord, out: ProducerRecord[]): DockerApiEvent | null {
    if (!r.value || r.value.length === 0) {
      this.deadLetter(r, out, 'EVENT_INVALID', 'empty record');
      return null;
    }
    if (r.value.length > this.o.detector.maxEventBytes) {
      this.deadLetter(r, out, 'EVENT_INVALID', `record of ${r.value.length} bytes exceeds detector.maxEventBytes`);
      return null;
    }
    try {
      return this.codec.decode(AUDIT_SUBJECT, r.value) as DockerApiEvent;
    } catch (e) {
      this.deadLetter(r, out, 'EVENT_INVALID', (e as Error).message);
      return null;
    }
  }

  private findingRecord(f: Finding): ProducerRecord {
    this.stats.findings++;
    this.o.metrics?.finding(f.rule.id, f.event.level);
    this.o.metrics?.eventsOut(this.o.kafka.topics.findings);
    return {
      topic: this.o.kafka.topics.findings,
      key: f.dockguard.client_key,
      value: this.codec.encode(FINDING_SUBJECT, f),
    };
  }

  private deadLetter(r: ConsumedRecord, out: ProducerRecord[], reason: ErrorCode, message: string): void {
    this.stats.deadLetters++;
    this.o.metrics?.deadLettered(reason);
    this.log.warn(
      { reason, partition: r.partition, offset: r.offset, msg2: message.slice(0, 500) },
      'event dead-lettered',
    );
    out.push(
      deadLetterRecord(
        r,
        this.o.kafka.topics.deadLetter,
        {
          'dockguard.error.code': reason,
          'dockguard.error.reason': message.slice(0, 2000),
          'dockguard.error.stage': 'detect',
        },
        this.o.detector.deadLetterMaxBytes,
      ),
    );
  }

  /** Checkpoints and commits, outside a batch, the partitions with events not checkpointed for an interval. */
  private checkpointQuiet(all = false): Promise<void> {
    return this.exclusive(async () => {
      const now = Date.now();
      for (const [p, progress] of this.partitions) {
        const behind =
          progress.lastOffset > progress.checkpointed ||
          progress.unsentFindings.length > 0 ||
          progress.inflight.length > 0;
        if (!behind || (!all && now - progress.checkpointAt < this.o.detector.checkpointIntervalMs)) continue;
        try {
          if (progress.unsentFindings.length > 0) {
            await this.producer.send(progress.unsentFindings);
            progress.unsentFindings = [];
          }
          await this.checkpoint(p);
          await this.consumer.commit(this.o.kafka.topics.audit, p, String(progress.checkpointed));
          progress.committed = progress.checkpointed;
        } catch (err) {
          this.log.warn({ err, partition: p }, 'checkpoint failed; retried at the next one');
        }
      }
    }).catch((err: unknown) => this.log.warn({ err }, 'checkpoint failed'));
  }

  /**
   * Finishes the batch in progress, checkpoints every partition and commits (while
   * still a member: after leaving, another member may already be restoring),
   * leaves the group and flushes the producer.
   */
  async stop(): Promise<void> {
    this.watcher?.close();
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.stopping = true;
    await this.checkpointQuiet(true);
    await this.consumer.stop();
    await this.producer.close();
  }
}

interface PartitionProgress {
  /** Last input offset whose effects are in the partition's state. */
  lastOffset: number;
  /** Last input offset in the changelog. */
  checkpointed: number;
  /** Last input offset committed (or handed to the consumer to commit). */
  committed: number;
  /** Wall-clock time of the last checkpoint. */
  checkpointAt: number;
  /** Events folded in since the last checkpoint. */
  events: number;
  unsentFindings: ProducerRecord[];
  unsentChangelog: ProducerRecord[];
  /** Sends of findings and dead letters not awaited yet, in batch order: null once acknowledged. */
  inflight: Array<Promise<{ error: unknown; records: ProducerRecord[] } | null>>;
}

function newProgress(restoredOffset: number): PartitionProgress {
  return {
    lastOffset: restoredOffset,
    checkpointed: restoredOffset,
    committed: -1,
    checkpointAt: Date.now(),
    events: 0,
    unsentFindings: [],
    unsentChangelog: [],
    inflight: [],
  };
}
