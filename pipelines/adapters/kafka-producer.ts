/**
 * What the publishers need from a Kafka client: send records, learn when the
 * cluster has them. Two implementations: `kafkajs-producer.ts` (pure JavaScript,
 * the default) and `rdkafka-producer.ts` (librdkafka through the optional
 * node-rdkafka package, for throughput).
 *
 * Both are idempotent producers (acks from all in-sync replicas, at most 5
 * requests in flight, broker-side deduplication of their own retries), both hash
 * keys with Kafka's murmur2 partitioner (the Java client's), so a key lands on
 * the same partition whichever client wrote it, and both batch: call `send` per
 * record and let the client group records into requests.
 *
 * Errors are DockguardErrors: KAFKA_UNAVAILABLE (retriable: brokers unreachable,
 * timed out, client queue full) or KAFKA_REJECTED (not retriable: record too
 * large, not authorised, bad topic). After any failure an implementation starts a
 * new producer session (new producer id), so that a batch that was written but
 * whose acknowledgement was lost can never make the broker discard a later batch
 * as a "duplicate" of it; the price is that a re-sent record may appear twice.
 */
import { DockguardError } from '../../detectors/errors';
import type { Logger } from 'pino';
import type { KafkaConfig } from './kafka-config';
import { KafkajsProducer } from './kafkajs-producer';
import { RdkafkaProducer } from './rdkafka-producer';

export interface ProducerRecord {
  topic: string;
  key: Buffer | string;
  /** null: a tombstone, by which a compacted topic (a detector's state changelog) forgets the key. */
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** An explicit partition (state changelogs mirror their input partition); default: by key. */
  partition?: number;
}

export interface RecordProducer {
  /**
   * Resolves when every record is acknowledged by all in-sync replicas; rejects
   * (DockguardError) if any is not. Records of one call, and of calls in the order
   * they were made, keep their order within a partition.
   */
  send(records: ProducerRecord[]): Promise<void>;
  /** Sends what is buffered (bounded by sendTimeoutMs), then disconnects. */
  close(): Promise<void>;
}

/** Creates the producer the configuration names (`kafka.client`). */
export function createRecordProducer(config: KafkaConfig, logger: Logger): RecordProducer {
  // rdkafka-producer.ts loads node-rdkafka itself, only when constructed.
  return config.client === 'rdkafka' ? new RdkafkaProducer(config, logger) : new KafkajsProducer(config, logger);
}

/** Kafka error names (both clients use the protocol's names) that no retry can fix. */
const NOT_RETRIABLE = new Set([
  'MESSAGE_TOO_LARGE',
  'MSG_SIZE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'INVALID_REQUIRED_ACKS',
]);

/** The protocol error name somewhere in a client error's cause chain, if any. */
function errorType(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const o = cur as { type?: unknown; name?: unknown; originalError?: unknown; cause?: unknown };
    if (typeof o.type === 'string' && NOT_RETRIABLE.has(o.type)) return o.type;
    if (typeof o.name === 'string' && NOT_RETRIABLE.has(o.name)) return o.name;
    cur = o.originalError ?? o.cause;
  }
  return undefined;
}

/** Wraps a client error into KAFKA_REJECTED or KAFKA_UNAVAILABLE. */
export function producerError(e: unknown, what: string): DockguardError {
  if (e instanceof DockguardError) return e;
  const type = errorType(e);
  const message = `${what}: ${(e as Error)?.message ?? String(e)}`;
  return type
    ? new DockguardError({ stage: 'runtime', code: 'KAFKA_REJECTED', message, cause: e })
    : new DockguardError({ stage: 'runtime', code: 'KAFKA_UNAVAILABLE', message, retriable: true, cause: e });
}

export function isRetriable(e: unknown): boolean {
  return e instanceof DockguardError ? e.retriable : true;
}
