/**
 * RecordProducer on librdkafka (node-rdkafka, an optional dependency loaded only
 * when `kafka.client: rdkafka`). librdkafka batches in its own queue and threads;
 * each record carries its `send` call as the opaque, and the delivery report
 * (`dr_cb`) settles that call once all its records are acknowledged or one failed.
 *
 * A record not acknowledged within sendTimeoutMs (librdkafka message.timeout.ms)
 * is reported as failed; librdkafka reports them in queue order, so the caller
 * can spool them in order. librdkafka reconnects by itself, and an idempotent
 * librdkafka producer bumps its epoch after a timed-out message, which gives the
 * same protection as the new session of the kafkajs producer.
 *
 * One difference from the kafkajs producer: librdkafka keeps sending its queue
 * while it reports earlier records as failed, so at the edge of an outage a
 * record queued behind a failed one can reach Kafka before the failed one comes
 * back from the spool (order per client is kept otherwise; nothing is lost).
 *
 * Partitioning uses murmur2_random, the Java client's hash, so that a key goes to
 * the same partition as with kafkajs (librdkafka's default, consistent_random,
 * hashes with CRC32).
 */
import type * as RdkafkaModule from 'node-rdkafka';
import { DockguardError } from '../../detectors/errors';
import type { Logger } from 'pino';
import { saslPassword, type KafkaConfig } from './kafka-config';
import { producerError, type ProducerRecord, type RecordProducer } from './kafka-producer';

type Rdkafka = typeof RdkafkaModule;

/** Loads node-rdkafka, or says what to do when it is not installed. */
export function loadRdkafka(): Rdkafka {
  try {
    // A static import would make node-rdkafka (a native, optional package) a
    // hard dependency of every service; it is needed only with client: rdkafka.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node-rdkafka') as Rdkafka;
  } catch (e) {
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message:
        'kafka.client is rdkafka but the optional package node-rdkafka cannot be loaded ' +
        `(${(e as Error).message.split('\n')[0]}): install it (npm install node-rdkafka; with a system ` +
        'librdkafka-dev, BUILD_LIBRDKAFKA=0 builds in a minute) or set kafka.client: kafkajs',
      cause: e,
    });
  }
}

interface Pending {
  remaining: number;
  settled: boolean;
  resolve: () => void;
  reject: (e: DockguardError) => void;
}

/**
 * librdkafka's topic-level properties. They must go in the Producer's second
 * argument: node-rdkafka installs that object as the default topic configuration,
 * replacing topic properties given among the global ones (a partitioner set there
 * is silently ignored).
 */
export function rdkafkaTopicConfig(config: KafkaConfig): Record<string, string | number> {
  return {
    acks: -1,
    'message.timeout.ms': config.producer.sendTimeoutMs,
    partitioner: 'murmur2_random',
  };
}

/** librdkafka's global properties for one configuration. */
export function rdkafkaProducerConfig(config: KafkaConfig): Record<string, string | number | boolean> {
  const p = config.producer;
  const out: Record<string, string | number | boolean> = {
    'client.id': `${config.clientId}-producer`,
    'metadata.broker.list': config.brokers.join(','),
    'enable.idempotence': true,
    'max.in.flight.requests.per.connection': p.maxInFlightRequests,
    'linger.ms': p.lingerMs,
    'batch.num.messages': p.batchSize,
    'batch.size': p.maxRequestBytes,
    'compression.codec': p.compression,
    'queue.buffering.max.messages': p.maxQueuedRecords,
    'socket.connection.setup.timeout.ms': config.connectionTimeoutMs,
    dr_cb: true,
  };
  const tls = config.ssl.enabled;
  if (config.sasl) {
    out['security.protocol'] = tls ? 'sasl_ssl' : 'sasl_plaintext';
    out['sasl.mechanisms'] = config.sasl.mechanism.toUpperCase();
    out['sasl.username'] = config.sasl.username;
    out['sasl.password'] = saslPassword(config.sasl);
  } else if (tls) out['security.protocol'] = 'ssl';
  if (tls) {
    if (config.ssl.caFile !== null) out['ssl.ca.location'] = config.ssl.caFile;
    if (config.ssl.certFile !== null) out['ssl.certificate.location'] = config.ssl.certFile;
    if (config.ssl.keyFile !== null) out['ssl.key.location'] = config.ssl.keyFile;
    out['enable.ssl.certificate.verification'] = config.ssl.rejectUnauthorized;
  }
  return out;
}

export class RdkafkaProducer implements RecordProducer {
  private readonly producer: RdkafkaModule.Producer;
  private readonly log: Logger;
  private connected: Promise<void> | null = null;
  private isConnected = false;
  private outstanding = 0;
  private closed = false;

  constructor(
    private readonly config: KafkaConfig,
    logger: Logger,
  ) {
    const rdkafka = loadRdkafka();
    this.log = logger.child({ component: 'rdkafka-producer' });
    this.producer = new rdkafka.Producer(rdkafkaProducerConfig(config), rdkafkaTopicConfig(config));
    this.producer.on('delivery-report', (err, report) => this.delivered(err, report.opaque as Pending | undefined));
    this.producer.on('event.error', (err) => this.log.warn({ err }, 'librdkafka error'));
  }

  private delivered(err: RdkafkaModule.LibrdKafkaError | null, p: Pending | undefined): void {
    this.outstanding--;
    if (!p || p.settled) return;
    if (err) {
      p.settled = true;
      p.reject(producerError(rdkafkaErrorName(err), 'delivering a record'));
      return;
    }
    if (--p.remaining === 0) {
      p.settled = true;
      p.resolve();
    }
  }

  /** Connects once; after a failure the next send tries again (librdkafka then reconnects by itself). */
  private connect(): Promise<void> {
    this.connected ??= new Promise<void>((resolve, reject) => {
      this.producer.connect({ timeout: this.config.producer.sendTimeoutMs }, (err) => {
        if (err) {
          this.connected = null;
          reject(producerError(err, 'connecting to Kafka'));
          return;
        }
        // Delivery reports arrive through poll(); 5 ms keeps acknowledgement latency low.
        this.producer.setPollInterval(5);
        this.isConnected = true;
        resolve();
      });
    });
    return this.connected;
  }

  send(records: ProducerRecord[]): Promise<void> {
    if (this.closed)
      return Promise.reject(
        new DockguardError({ stage: 'runtime', code: 'KAFKA_UNAVAILABLE', message: 'producer is closed' }),
      );
    if (records.length === 0) return Promise.resolve();
    // connected: straight to librdkafka's queue, without a promise hop per call
    if (this.isConnected) return this.produceAll(records);
    return this.connect().then(() => this.produceAll(records));
  }

  private produceAll(records: ProducerRecord[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const p: Pending = { remaining: records.length, settled: false, resolve, reject };
      for (const r of records) {
        try {
          const headers = r.headers ? Object.entries(r.headers).map(([k, v]) => ({ [k]: v })) : undefined;
          this.producer.produce(r.topic, r.partition ?? null, r.value, r.key, null, p, headers);
          this.outstanding++;
        } catch (e) {
          // Queue full (back-pressure) or a bad record: the records already queued
          // still get delivery reports, which find the call settled.
          p.settled = true;
          reject(producerError(rdkafkaErrorName(e), `queueing record ${records.indexOf(r) + 1} of ${records.length}`));
          return;
        }
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.connected) return;
    await this.connected.catch(() => undefined);
    await new Promise<void>((resolve) =>
      this.producer.flush(this.config.producer.sendTimeoutMs, (err) => {
        if (err) this.log.warn({ err, outstanding: this.outstanding }, 'records still unacknowledged at close');
        resolve();
      }),
    );
    await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
  }
}

/** librdkafka errors carry a numeric code; give them the protocol name producerError classifies. */
function rdkafkaErrorName(e: unknown): unknown {
  const err = e as { code?: number; message?: string } | null;
  if (!err || typeof err.code !== 'number') return e;
  const names: Record<number, string> = {
    10: 'MESSAGE_TOO_LARGE',
    [-186]: 'MSG_SIZE_TOO_LARGE',
    29: 'TOPIC_AUTHORIZATION_FAILED',
  };
  const type = names[err.code];
  return type ? Object.assign(new Error(err.message ?? type), { type, cause: e }) : e;
}
