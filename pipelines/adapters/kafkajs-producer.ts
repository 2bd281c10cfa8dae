/**
 * RecordProducer on kafkajs. kafkajs sends what it is given, one request per
 * call, so the batching is ours: `send` queues records, and one request at a time
 * carries everything queued (up to batchSize records and maxRequestBytes). While
 * a request is in flight the next batch fills, so batches grow with load and
 * latency stays at one round trip when idle (plus lingerMs). kafkajs writes all
 * records of a partition in one request as one record batch, which the broker
 * refuses whole when it exceeds message.max.bytes (1 MB by default): hence the
 * byte bound, and a call larger than it on its own goes out in several requests.
 *
 * One request at a time is also what keeps the order simple: when a request
 * fails, it and everything queued behind it are rejected together, in order, and
 * nothing queued later can overtake them. With an idempotent producer kafkajs
 * would retry forever; retries are bounded here so a request gives up near
 * sendTimeoutMs, and the session is replaced (see kafka-producer.ts).
 */
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { DockguardError } from '../../detectors/errors';
import type { Logger } from 'pino';
import type { KafkaConfig } from './kafka-config';
import { producerError, type ProducerRecord, type RecordProducer } from './kafka-producer';
import { createKafkajsClient } from './kafkajs-client';

interface Pending {
  records: ProducerRecord[];
  /** recordBytes of its records, summed */
  bytes: number;
  resolve: () => void;
  reject: (e: DockguardError) => void;
}

/**
 * What a record adds to a request at most: its key, value and headers, and the
 * framing of Kafka's record format v2 (length, attributes, timestamp and offset
 * deltas, key and value lengths, header count: 18 bytes at most; a header's two
 * lengths: 6).
 */
export function recordBytes(r: ProducerRecord): number {
  const value = r.value;
  let n =
    24 + (value === null ? 0 : value.length) + (typeof r.key === 'string' ? Buffer.byteLength(r.key) : r.key.length);
  if (r.headers)
    for (const [k, v] of Object.entries(r.headers))
      n += 6 + Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : v.length);
  return n;
}

/**
 * The records of `batch` in request-sized chunks, in order: a chunk ends before
 * the record that would take it past `maxBytes` (a record larger than that on
 * its own is a chunk of its own, for the broker to judge). `bytes` is each call's
 * recordBytes sum, counted once by `send`: a batch within the bound, the usual
 * case, is one chunk without counting its records again.
 */
export function chunkRecords(
  batch: readonly { records: ProducerRecord[]; bytes: number }[],
  maxBytes: number,
): ProducerRecord[][] {
  let total = 0;
  for (const p of batch) total += p.bytes;
  if (total <= maxBytes) return [batch.flatMap((p) => p.records)];
  const chunks: ProducerRecord[][] = [];
  let chunk: ProducerRecord[] = [];
  let bytes = 0;
  for (const p of batch)
    for (const r of p.records) {
      const b = recordBytes(r);
      if (chunk.length > 0 && bytes + b > maxBytes) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(r);
      bytes += b;
    }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

const COMPRESSION = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const;

export class KafkajsProducer implements RecordProducer {
  private readonly kafka: Kafka;
  private readonly log: Logger;
  private session: { producer: Producer; ready: Promise<void> } | null = null;
  private queue: Pending[] = [];
  private queuedRecords = 0;
  private inFlight: Promise<void> | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly config: KafkaConfig,
    logger: Logger,
  ) {
    // kafkajs' own budget (connection retries, request timeout, produce retries)
    // is what ends a request to a dead or hanging broker, close to sendTimeoutMs:
    // its outcome is then known (a request abandoned by a timer of ours could
    // still be written later, and its records would be spooled and sent twice).
    this.kafka = createKafkajsClient(config, logger, '-producer', {
      requestTimeout: config.producer.sendTimeoutMs,
      retry: retryBudget(config.producer.sendTimeoutMs),
    });
    this.log = logger.child({ component: 'kafkajs-producer' });
  }

  send(records: ProducerRecord[]): Promise<void> {
    if (this.closed)
      return Promise.reject(
        new DockguardError({ stage: 'runtime', code: 'KAFKA_UNAVAILABLE', message: 'producer is closed' }),
      );
    if (records.length === 0) return Promise.resolve();
    if (this.queuedRecords >= this.config.producer.maxQueuedRecords)
      return Promise.reject(
        new DockguardError({
          stage: 'runtime',
          code: 'KAFKA_UNAVAILABLE',
          message: `${this.queuedRecords} records wait for Kafka (producer.maxQueuedRecords)`,
          retriable: true,
        }),
      );
    let bytes = 0;
    for (const r of records) bytes += recordBytes(r);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, bytes, resolve, reject });
      this.queuedRecords += records.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.queue.length === 0) return;
    if (this.queuedRecords >= this.config.producer.batchSize || this.config.producer.lingerMs === 0 || this.closed) {
      this.flushNow();
      return;
    }
    this.lingerTimer ??= setTimeout(() => this.flushNow(), this.config.producer.lingerMs);
  }

  private flushNow(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    if (this.inFlight || this.queue.length === 0) return;
    // Whole `send` calls only, so one call's records succeed or fail together.
    // One splice, not a shift per entry: under load the queue holds thousands of
    // calls, and shifting them one by one made each flush quadratic.
    const { batchSize, maxRequestBytes } = this.config.producer;
    let k = 0;
    let n = 0;
    let bytes = 0;
    for (; k < this.queue.length; k++) {
      const next = this.queue[k]!;
      if (k > 0 && (n + next.records.length > batchSize || bytes + next.bytes > maxRequestBytes)) break;
      n += next.records.length;
      bytes += next.bytes;
    }
    const batch = this.queue.splice(0, k);
    this.queuedRecords -= n;
    this.inFlight = this.request(batch, n).finally(() => {
      this.inFlight = null;
      this.schedule();
    });
  }

  private async request(batch: Pending[], n: number): Promise<void> {
    // A last resort only: kafkajs' budget normally ends the request well before.
    const capMs = this.config.producer.sendTimeoutMs * 4;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no acknowledgement within ${capMs} ms`)), capMs);
    });
    const session = this.currentSession();
    // one request, unless a single call is larger than maxRequestBytes: then one after another
    const sent = session.ready.then(async () => {
      for (const chunk of chunkRecords(batch, this.config.producer.maxRequestBytes))
        await session.producer.sendBatch(this.topicMessages(chunk));
    });
    try {
      await Promise.race([sent, timeout]);
      for (const p of batch) p.resolve();
    } catch (e) {
      const err = producerError(e, `sending ${n} records`);
      // Everything queued behind the failed request fails with it, in order, so
      // the caller can store them in the same order (no record overtakes another).
      const failed = [...batch, ...this.queue];
      this.queue = [];
      this.queuedRecords = 0;
      this.dropSession();
      for (const p of failed) p.reject(err);
      // A request we gave up on may still reach the broker (kafkajs retries it
      // until its own budget runs out). The next request waits for it to settle:
      // otherwise every failed attempt to send the spool during an outage could
      // land later as one more copy of the same records.
      await Promise.race([sent.catch(() => undefined), delay(capMs * 2)]);
    } finally {
      clearTimeout(timer);
    }
  }

  private topicMessages(records: readonly ProducerRecord[]): {
    topicMessages: { topic: string; messages: Message[] }[];
    acks: number;
    compression: CompressionTypes;
  } {
    const byTopic = new Map<string, Message[]>();
    for (const r of records) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      const m: Message = { key: r.key, value: r.value };
      if (r.headers) m.headers = r.headers;
      if (r.partition !== undefined) m.partition = r.partition;
      list.push(m);
    }
    return {
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: -1,
      compression: COMPRESSION[this.config.producer.compression as keyof typeof COMPRESSION] ?? CompressionTypes.None,
    };
  }

  private currentSession(): { producer: Producer; ready: Promise<void> } {
    if (this.session) return this.session;
    const p = this.config.producer;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: p.maxInFlightRequests,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      // Bounded so a dead broker makes the request fail instead of retrying forever.
      retry: retryBudget(p.sendTimeoutMs),
    });
    const ready = producer.connect();
    // A connect failure surfaces through the request that awaits it.
    ready.catch(() => undefined);
    this.session = { producer, ready };
    return this.session;
  }

  private dropSession(): void {
    const s = this.session;
    this.session = null;
    if (s) {
      this.log.warn('Kafka request failed; the next request starts a new producer session');
      s.producer.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.schedule();
    while (this.inFlight) await this.inFlight;
    const s = this.session;
    this.session = null;
    if (s) await s.producer.disconnect().catch(() => undefined);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** kafkajs retries: about sendTimeoutMs in all (three tries with backoff), then the request fails. */
function retryBudget(sendTimeoutMs: number): { initialRetryTime: number; maxRetryTime: number; retries: number } {
  return { initialRetryTime: 100, maxRetryTime: Math.max(200, Math.floor(sendTimeoutMs / 4)), retries: 2 };
}
