/**
 * The indexer's batch handler: Avro records from the findings (and optionally
 * audit) topic → ECS documents → `_bulk` create → dead-letter what Elasticsearch
 * refused → return, after which the consumer adapter commits the offsets.
 *
 * Invariants:
 * - An offset is committed only after every record before it was acknowledged
 *   by Elasticsearch (created or already there) or written to the dead-letter
 *   topic: `handleBatch` resolves only then, and throws otherwise.
 * - Nothing is duplicated: `_id` is the finding (or event) id and writes use
 *   op_type create, so a re-delivered batch answers 409 per document.
 * - While Elasticsearch is unreachable the handler keeps retrying (the sink's
 *   backoff) and keeps the group membership alive with heartbeats; the consumer
 *   fetches nothing more for that partition, so memory holds one batch and
 *   Kafka holds the backlog.
 */
import type { Logger } from 'pino';
import { DockguardError, type ErrorCode } from '../../detectors/errors';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { Finding } from '../../schemas/generated/finding';
import { deadLetterRecord } from '../adapters/dead-letter';
import type { BulkItem, ElasticsearchSink, ItemResult } from '../adapters/elasticsearch-sink';
import { targetName } from '../adapters/elasticsearch-setup';
import type { ProducerRecord, RecordProducer } from '../adapters/kafka-producer';
import type { AvroCodec } from '../codec/avro-codec';
import type { ServiceMetrics } from '../runtime/metrics';
import { auditToEcs, findingToEcs, type EcsDocument } from './to-ecs';

/** What the handler reads of a consumed record (the consumer adapter's ConsumedRecord). */
export interface IndexerRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export interface BatchContext {
  heartbeat(): Promise<void>;
}

export interface IndexerServiceOptions {
  sink: ElasticsearchSink;
  codec: AvroCodec;
  deadLetter: RecordProducer;
  deadLetterTopic: string;
  findingsTopic: string;
  /** null: audit events are not indexed */
  auditTopic: string | null;
  namespace: string;
  bulkSize: number;
  concurrency: number;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** Aborted on shutdown (after the drain timeout): pending retries stop, the batch is not committed. */
  signal?: AbortSignal;
}

type Decoded = { rec: IndexerRecord; doc: EcsDocument; index: string };
type Failed = { rec: IndexerRecord; code: ErrorCode; reason: string };

export class IndexerService {
  private readonly log: Logger;
  private retryLogged = 0;

  constructor(private readonly o: IndexerServiceOptions) {
    this.log = o.logger.child({ component: 'indexer' });
  }

  async handleBatch(records: readonly IndexerRecord[], ctx: BatchContext): Promise<void> {
    // writer schemas of records from producers this codec has not met (registry only)
    await this.o.codec.prefetch(records.map((r) => r.value));
    const docs: Decoded[] = [];
    const failed: Failed[] = [];
    for (const rec of records) {
      try {
        docs.push(this.decode(rec));
      } catch (e) {
        failed.push({ rec, code: 'EVENT_INVALID', reason: (e as Error).message });
      }
    }
    const stopTimer = this.o.metrics?.timer('index');
    const results = await this.writeAll(docs, ctx);
    stopTimer?.();
    let written = 0;
    for (const r of results) {
      if (r.outcome === 'rejected')
        failed.push({
          rec: r.ref.rec,
          code: 'ELASTICSEARCH_REJECTED',
          reason: `${r.error.status} ${r.error.type}: ${r.error.reason}`.slice(0, 2000),
        });
      else written++;
    }
    if (failed.length > 0) await this.deadLetter(failed);
    if (records.length > 0) this.o.metrics?.eventsIn(records[0]!.topic, records.length);
    if (written > 0) this.o.metrics?.eventsOut('elasticsearch', written);
  }

  private decode(rec: IndexerRecord): Decoded {
    if (rec.value === null) throw new Error('record without a value (tombstone)');
    if (rec.topic === this.o.findingsTopic) {
      const f = this.o.codec.decode('dockguard.finding', rec.value) as Finding;
      return { rec, doc: findingToEcs(f), index: targetName('findings', this.o.namespace) };
    }
    if (this.o.auditTopic !== null && rec.topic === this.o.auditTopic) {
      const e = this.o.codec.decode('dockguard.docker-api-event', rec.value) as DockerApiEvent;
      return { rec, doc: auditToEcs(e), index: targetName('audit', this.o.namespace) };
    }
    throw new Error(`record from topic ${rec.topic}, which this indexer does not index`);
  }

  /** Chunks of bulkSize, `concurrency` at a time; resolves when every item has an outcome. */
  private async writeAll(docs: Decoded[], ctx: BatchContext): Promise<Array<ItemResult<Decoded>>> {
    const chunks: Array<Array<BulkItem<Decoded>>> = [];
    for (let i = 0; i < docs.length; i += this.o.bulkSize)
      chunks.push(
        docs.slice(i, i + this.o.bulkSize).map((d) => ({ index: d.index, id: d.doc.id, doc: d.doc.doc, ref: d })),
      );
    const out: Array<ItemResult<Decoded>> = [];
    let next = 0;
    const onRetry = async (attempt: number, delayMs: number, reason: string): Promise<void> => {
      // one line when an outage starts, then every 20th attempt: an outage must not flood the log
      if (attempt === 1 || this.retryLogged++ % 20 === 0)
        this.log.warn({ attempt, delayMs, reason }, 'Elasticsearch write failed; retrying');
      await ctx.heartbeat().catch(() => undefined);
    };
    const worker = async (): Promise<void> => {
      while (next < chunks.length) {
        const chunk = chunks[next++] as Array<BulkItem<Decoded>>;
        out.push(...(await this.o.sink.write(chunk, this.o.signal, onRetry)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, chunks.length) }, worker));
    return out;
  }

  private async deadLetter(failed: Failed[]): Promise<void> {
    const records: ProducerRecord[] = failed.map((f) =>
      deadLetterRecord(f.rec, this.o.deadLetterTopic, {
        'dockguard.error.code': f.code,
        'dockguard.error.stage': 'index',
        'dockguard.error.reason': f.reason,
        'dockguard.service': 'indexer',
      }),
    );
    try {
      await this.o.deadLetter.send(records);
    } catch (e) {
      // not committed: the batch comes again, and its documents answer 409
      throw new DockguardError({
        stage: 'runtime',
        code: 'KAFKA_UNAVAILABLE',
        retriable: true,
        message: `cannot write ${records.length} records to the dead-letter topic ${this.o.deadLetterTopic}`,
        cause: e,
      });
    }
    for (const f of failed) {
      this.o.metrics?.deadLettered(f.code);
      this.log.warn(
        { code: f.code, reason: f.reason, topic: f.rec.topic, partition: f.rec.partition, offset: f.rec.offset },
        'record dead-lettered',
      );
    }
  }
}
