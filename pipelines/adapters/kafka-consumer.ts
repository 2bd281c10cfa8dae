/**
 * The consumer-group adapter of the detector and indexer services (kafkajs).
 *
 * Contract:
 * - `eachBatch(records, ctx)` gets the records of one partition, in offset order.
 *   The offset after the batch is committed only once the handler resolved, so a
 *   crash re-delivers what was not finished: at least once. A handler whose work
 *   becomes durable later than its batch (the detector checkpoints its state every
 *   few seconds) returns `{ commit }`: the last offset that is safe to commit, or
 *   null for none yet; fetching goes on past the batch either way. A handler that throws
 *   commits nothing and the batch comes again (after kafkajs' retry backoff), so
 *   it should dead-letter a bad record itself and throw only when the whole batch
 *   must be retried (e.g. Elasticsearch is down).
 * - `onAssigned(partitions)` runs when the group gives this member partitions, and
 *   no batch of those partitions is handled before it resolved: the detector
 *   restores their state there. `onRevoked(partitions)` runs for partitions taken
 *   away (by a rebalance, or all of them on `stop`): the detector drops their state.
 * - `pause`/`resume` stop and restart fetching of partitions (back-pressure).
 * - `stop()` lets the batch in progress finish and commit, leaves the group, then
 *   reports every partition revoked.
 *
 * Why the diff of assignments rather than kafkajs' REBALANCING event: kafkajs
 * rebalances eagerly (every member gives up everything), but a partition that
 * comes straight back keeps its state; only the difference needs work.
 */
import type { Consumer, EachBatchPayload, IHeaders, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from './kafka-config';
import { createKafkajsClient } from './kafkajs-client';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as decimal strings. */
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
  /** Record timestamp, epoch milliseconds as a string. */
  timestamp: string;
}

export interface PartitionContext {
  topic: string;
  partition: number;
  highWatermark: string;
  /** Call during long handlers so the group does not consider this member dead. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was revoked: finish quickly. */
  isRunning(): boolean;
  isStale(): boolean;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** What a handler may return instead of nothing (which commits the whole batch). */
export interface BatchResult {
  /** Commit through this offset (inclusive); null: commit nothing now. */
  commit: string | null;
}

export interface ConsumerRunOptions {
  topics: string[];
  eachBatch(records: ConsumedRecord[], ctx: PartitionContext): Promise<void | BatchResult>;
  onAssigned?(partitions: TopicPartitions[]): Promise<void> | void;
  onRevoked?(partitions: TopicPartitions[]): Promise<void> | void;
  /** Partitions handled at the same time (default 1). */
  partitionsConsumedConcurrently?: number;
}

export class KafkaConsumer {
  private readonly consumer: Consumer;
  private readonly log: Logger;
  private assigned = new Map<string, Set<number>>();
  /** Settles when the latest onAssigned/onRevoked finished; batches wait for it. */
  private assignmentReady: Promise<void> = Promise.resolve();
  private options: ConsumerRunOptions | null = null;

  constructor(
    private readonly config: KafkaConfig,
    readonly groupId: string,
    logger: Logger,
    kafka: Kafka = createKafkajsClient(config, logger, '-consumer'),
  ) {
    this.log = logger.child({ component: 'kafka-consumer', group: groupId });
    this.consumer = kafka.consumer({
      groupId,
      sessionTimeout: config.consumer.sessionTimeoutMs,
      heartbeatInterval: config.consumer.heartbeatIntervalMs,
      maxBytesPerPartition: config.consumer.maxBytesPerPartition,
      allowAutoTopicCreation: false,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => this.onGroupJoin(e.payload.memberAssignment));
    this.consumer.on(this.consumer.events.CRASH, (e) =>
      this.log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed'),
    );
  }

  /** Joins the group and starts consuming; resolves once running (not when consuming ends). */
  async run(options: ConsumerRunOptions): Promise<void> {
    this.options = options;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: options.topics, fromBeginning: this.config.consumer.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.handle(payload),
    });
  }

  private async handle(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    // State for a newly assigned partition must be restored before its first batch.
    await this.assignmentReady;
    if (batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
    const records: ConsumedRecord[] = batch.messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      key: m.key ?? null,
      value: m.value ?? null,
      headers: m.headers ?? {},
      timestamp: m.timestamp,
    }));
    const result = await this.options!.eachBatch(records, {
      topic: batch.topic,
      partition: batch.partition,
      highWatermark: batch.highWatermark,
      heartbeat: payload.heartbeat,
      isRunning: payload.isRunning,
      isStale: payload.isStale,
    });
    const last = batch.lastOffset();
    // resolved = fetched past, whether or not it is committed now
    payload.resolveOffset(last);
    const through = result ? result.commit : last;
    if (through === null) return;
    // Through the batch's own commit, not consumer.commitOffsets: that one silently
    // does nothing once stop() began, and stop() waits for this batch to commit.
    await payload.commitOffsetsIfNecessary({
      topics: [
        {
          topic: batch.topic,
          partitions: [{ partition: batch.partition, offset: (BigInt(through) + 1n).toString() }],
        },
      ],
    });
  }

  /** Commits through `offset` (inclusive) outside a batch; only while running (before `stop`). */
  async commit(topic: string, partition: number, offset: string): Promise<void> {
    await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
  }

  private onGroupJoin(memberAssignment: Record<string, number[]>): void {
    const next = new Map<string, Set<number>>();
    for (const [topic, partitions] of Object.entries(memberAssignment)) next.set(topic, new Set(partitions));
    const revoked = diff(this.assigned, next);
    const added = diff(next, this.assigned);
    this.assigned = next;
    const opts = this.options;
    const prev = this.assignmentReady;
    this.assignmentReady = (async () => {
      await prev.catch(() => undefined);
      if (revoked.length > 0) {
        this.log.info({ revoked }, 'partitions revoked');
        await opts?.onRevoked?.(revoked);
      }
      if (added.length > 0) {
        this.log.info({ assigned: added }, 'partitions assigned');
        await opts?.onAssigned?.(added);
      }
    })();
    this.assignmentReady.catch((err: unknown) => this.log.error({ err }, 'partition assignment callback failed'));
  }

  /** The partitions this member holds now. */
  assignment(): TopicPartitions[] {
    return [...this.assigned].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) }));
  }

  pause(partitions: TopicPartitions[]): void {
    this.consumer.pause(partitions);
  }

  resume(partitions: TopicPartitions[]): void {
    this.consumer.resume(partitions);
  }

  /** Finishes and commits the batch in progress, leaves the group, reports all partitions revoked. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.assignmentReady.catch(() => undefined);
    const all = this.assignment();
    this.assigned = new Map();
    if (all.length > 0) await this.options?.onRevoked?.(all);
  }
}

function diff(a: Map<string, Set<number>>, b: Map<string, Set<number>>): TopicPartitions[] {
  const out: TopicPartitions[] = [];
  for (const [topic, ps] of a) {
    const other = b.get(topic);
    const only = [...ps].filter((p) => !other?.has(p)).sort((x, y) => x - y);
    if (only.length > 0) out.push({ topic, partitions: only });
  }
  return out;
}
