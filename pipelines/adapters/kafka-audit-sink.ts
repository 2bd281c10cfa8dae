/**
 * The collectors' AuditSink for the distributed pipeline: each Docker API event is
 * Avro-encoded (Confluent framing, subject dockguard.docker-api-event), keyed by
 * `clientKey` (one client's calls stay in order on one partition) and sent to the
 * audit topic; `publish` resolves when Kafka acknowledged it, or when it is in the
 * disk spool because Kafka could not.
 *
 * Two modes:
 * - direct: records go to the producer. The first failure (error or no
 *   acknowledgement within kafka.producer.sendTimeoutMs) switches to spooling; the
 *   failed records are spooled, in order.
 * - spooling: every new record goes to the spool, behind the ones already there,
 *   so no record of a client overtakes an older one. A drain loop sends the spool
 *   to Kafka oldest first, retrying with backoff, and deletes what Kafka
 *   acknowledged; once the spool is empty the sink is direct again.
 *
 * When the spool is full: `failClosed` rejects `publish` with SPOOL_FULL and
 * `accepting()` turns false, so the collector denies Docker API calls it cannot
 * record (until the spool is below 90 % again); `failOpen` lets the call through
 * and logs and counts each lost event (dropped, reason SPOOL_FULL).
 *
 * Spooled records keep the topic they were published to: a collector restarted
 * with another audit topic still sends its old spool to the old topic.
 *
 * Delivery is at least once. Duplicates come from records whose acknowledgement
 * was lost (the broker had them, we spooled and re-sent them) and from a crash
 * between a drain's acknowledgement and the spool's cursor update; consumers
 * deduplicate by event.id.
 */
import type { Logger } from 'pino';
import { DockguardError, type ErrorCode } from '../../detectors/errors';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { AvroCodec } from '../codec/avro-codec';
import type { AuditSink } from '../collectors/audit-sink';
import { clientKey } from '../collectors/client-key';
import { DiskSpool } from './disk-spool';
import type { KafkaConfig, SpoolConfig } from './kafka-config';
import { createRecordProducer, isRetriable, type ProducerRecord, type RecordProducer } from './kafka-producer';

export const AUDIT_SUBJECT = 'dockguard.docker-api-event';

export interface KafkaAuditSinkConfig {
  kafka: KafkaConfig;
  spool: SpoolConfig;
}

/** What the sink reports; pipelines/runtime/metrics.ts ServiceMetrics has these methods. */
export interface AuditSinkMetrics {
  eventsOut(topic: string, n?: number): void;
  dropped(reason: ErrorCode, n?: number): void;
  spoolBytes(bytes: number): void;
}

export interface KafkaAuditSinkOptions {
  metrics?: AuditSinkMetrics;
  /** Default: the producer `config.kafka.client` names. */
  producer?: RecordProducer;
  codec?: AvroCodec;
}

export interface KafkaAuditSinkStats {
  mode: 'direct' | 'spooling';
  /** Acknowledged by Kafka when published. */
  sentDirect: number;
  /** Written to the spool. */
  spooled: number;
  /** Sent from the spool and acknowledged. */
  drained: number;
  /** failOpen: events lost to a full spool. */
  lost: number;
  /** failClosed: publishes rejected with SPOOL_FULL. */
  refused: number;
  /** Records Kafka refused for good (too large, not authorised), dropped. */
  rejected: number;
  spoolRecords: number;
  spoolBytes: number;
  recovered: { records: number; dropped: number; droppedBytes: number };
}

/** Once full, the spool accepts calls again (failClosed) below this share of maxBytes. */
const REOPEN_SHARE = 0.9;

export class KafkaAuditSink implements AuditSink {
  private mode: 'direct' | 'spooling' = 'direct';
  private full = false;
  private closing = false;
  private drainer: Promise<void> | null = null;
  /** The drain loop's current wait: new spool data ends a short one, close() any. */
  private sleeper: { done: () => void; short: boolean } | null = null;
  /** Direct sends not yet settled; in spooling mode new records wait for them (see publish). */
  private directInFlight = 0;
  private directSettled: Promise<void> | null = null;
  private resolveDirectSettled: (() => void) | null = null;
  private readonly counts = { sentDirect: 0, spooled: 0, drained: 0, lost: 0, refused: 0, rejected: 0 };
  private readonly log: Logger;

  constructor(
    private readonly config: KafkaAuditSinkConfig,
    private readonly producer: RecordProducer,
    private readonly spool: DiskSpool,
    private readonly codec: AvroCodec,
    logger: Logger,
    private readonly metrics?: AuditSinkMetrics,
  ) {
    this.log = logger.child({ component: 'kafka-audit-sink', topic: config.kafka.topics.audit });
    if (!spool.isEmpty()) {
      this.log.info({ records: spool.records }, 'spool holds records from a previous run; sending them first');
      this.startSpooling();
    }
  }

  accepting(): boolean {
    return !(this.full && this.config.spool.whenFull === 'failClosed') && !this.closing;
  }

  stats(): KafkaAuditSinkStats {
    return {
      mode: this.mode,
      ...this.counts,
      spoolRecords: this.spool.records,
      spoolBytes: this.spool.bytes,
      recovered: { ...this.spool.recovery },
    };
  }

  async publish(event: DockerApiEvent): Promise<void> {
    if (this.closing)
      throw new DockguardError({ stage: 'runtime', code: 'KAFKA_UNAVAILABLE', message: 'audit sink is closed' });
    const record: ProducerRecord = {
      topic: this.config.kafka.topics.audit,
      key: clientKey(event),
      value: this.codec.encode(AUDIT_SUBJECT, event),
    };
    if (this.mode === 'spooling') {
      // Direct sends still in flight may fail and be spooled; a newer record must
      // not be spooled before them.
      if (this.directInFlight > 0) await this.directSettled;
      return this.toSpool([record], event);
    }
    this.directInFlight++;
    try {
      await this.producer.send([record]);
      this.counts.sentDirect++;
      this.metrics?.eventsOut(record.topic);
    } catch (e) {
      // Any failure, retriable or not, goes to the spool: a batch fails as a whole,
      // and only the drain, record by record, can tell a refused record from its
      // innocent neighbours.
      this.startSpooling(e);
      await this.toSpool([record], event);
    } finally {
      if (--this.directInFlight === 0 && this.resolveDirectSettled) {
        this.resolveDirectSettled();
        this.directSettled = this.resolveDirectSettled = null;
      }
    }
  }

  private async toSpool(records: ProducerRecord[], event: DockerApiEvent): Promise<void> {
    try {
      await this.spool.append(records);
      this.counts.spooled += records.length;
      this.metrics?.spoolBytes(this.spool.bytes);
      if (this.sleeper?.short) this.sleeper.done();
    } catch (e) {
      const code = e instanceof DockguardError ? e.code : 'SPOOL_CORRUPT';
      if (!this.full) this.log.error({ err: e, policy: this.config.spool.whenFull }, 'spool cannot take more events');
      this.full = true;
      if (this.config.spool.whenFull === 'failClosed') {
        this.counts.refused += records.length;
        throw e;
      }
      this.counts.lost += records.length;
      this.metrics?.dropped(code, records.length);
      this.log.error(
        { event_id: event.event.id, action: event.event.action, client: records[0]?.key, code, lost: this.counts.lost },
        'AUDIT EVENT LOST: Kafka is unreachable and the spool is full (spool.whenFull failOpen)',
      );
    }
  }

  private startSpooling(cause?: unknown): void {
    if (this.mode === 'direct') {
      if (cause) this.log.warn({ err: cause }, 'Kafka did not take events; spooling them to disk until it does');
      this.mode = 'spooling';
    }
    if (this.directInFlight > 0 && !this.directSettled)
      this.directSettled = new Promise<void>((resolve) => (this.resolveDirectSettled = resolve));
    this.drainer ??= this.drainLoop().finally(() => (this.drainer = null));
  }

  /**
   * Sends the spool to Kafka, oldest first, until it is empty. It never gives up
   * while the sink is open: a failing spool read or ack is logged and retried with
   * backoff, because a dead drain would leave the sink spooling forever.
   */
  private async drainLoop(): Promise<void> {
    const { retryMs, retryMaxMs } = this.config.spool;
    let delay = retryMs;
    for (;;) {
      try {
        await this.drainUntilEmpty();
        return;
      } catch (e) {
        if (this.closing) return;
        this.log.error({ err: e, spooled: this.spool.records, retryInMs: delay }, 'spool drain failed; retrying');
        await this.sleep(delay);
        delay = Math.min(delay * 2, retryMaxMs);
      }
    }
  }

  private async drainUntilEmpty(): Promise<void> {
    const { retryMs, retryMaxMs, drainBatchRecords, maxBytes } = this.config.spool;
    let delay = retryMs;
    let failures = 0;
    while (!this.closing) {
      if (this.spool.isEmpty() && this.directInFlight === 0) {
        this.mode = 'direct';
        this.full = false;
        this.log.info({ drained: this.counts.drained }, 'spool drained; sending directly to Kafka again');
        return;
      }
      const batch = await this.spool.read(drainBatchRecords);
      if (batch.records.length === 0 && batch.skipped > 0) {
        await this.spool.ack(batch);
        continue;
      }
      if (batch.records.length === 0) {
        // appends accepted but still being written, or direct sends still settling
        await this.sleep(5);
        continue;
      }
      try {
        await this.producer.send(batch.records);
      } catch (e) {
        if (isRetriable(e)) {
          if (failures++ % 20 === 0)
            this.log.warn({ err: e, spooled: this.spool.records, retryInMs: delay }, 'Kafka still unreachable');
          await this.sleep(delay);
          delay = Math.min(delay * 2, retryMaxMs);
          continue;
        }
        if (!(await this.sendOneByOne(batch.records))) {
          await this.sleep(delay);
          continue;
        }
      }
      await this.spool.ack(batch);
      this.counts.drained += batch.records.length;
      this.metrics?.eventsOut(this.config.kafka.topics.audit, batch.records.length);
      this.metrics?.spoolBytes(this.spool.bytes);
      if (this.full && this.spool.bytes <= maxBytes * REOPEN_SHARE) this.full = false;
      delay = retryMs;
      failures = 0;
    }
  }

  /** After a non-retriable failure: finds the records Kafka refuses and drops them, counted. False: Kafka went away. */
  private async sendOneByOne(records: ProducerRecord[]): Promise<boolean> {
    for (const r of records) {
      try {
        await this.producer.send([r]);
      } catch (e) {
        if (isRetriable(e)) return false;
        this.counts.rejected++;
        this.metrics?.dropped('KAFKA_REJECTED');
        this.log.error({ err: e, client: r.key, bytes: r.value?.length ?? 0 }, 'Kafka refused an audit event; dropped');
      }
    }
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.sleeper = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.sleeper = { done, short: ms <= 5 };
    });
  }

  /** Stops accepting, lets direct sends settle, stops the drain; spooled records stay for the next start. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.directInFlight > 0) {
      this.directSettled ??= new Promise<void>((resolve) => (this.resolveDirectSettled = resolve));
      await this.directSettled;
    }
    this.sleeper?.done();
    await this.drainer;
    await this.producer.close();
    await this.spool.close();
    if (!this.spool.isEmpty())
      this.log.warn(
        { records: this.spool.records },
        'closed with records in the spool; they are sent at the next start',
      );
  }
}

export async function createKafkaAuditSink(
  config: KafkaAuditSinkConfig,
  logger: Logger,
  options: KafkaAuditSinkOptions = {},
): Promise<KafkaAuditSink> {
  const codec = options.codec ?? new AvroCodec();
  const spool = await DiskSpool.open(config.spool, logger);
  const producer = options.producer ?? createRecordProducer(config.kafka, logger);
  return new KafkaAuditSink(config, producer, spool, codec, logger, options.metrics);
}
