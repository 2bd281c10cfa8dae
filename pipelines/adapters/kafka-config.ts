/**
 * Configuration sections `kafka` (brokers, client library, topic names, producer
 * and consumer tuning, TLS/SASL) and `spool` (the collector's disk spool for
 * when Kafka is unreachable). Read once at startup with `readKafkaConfig` /
 * `readSpoolConfig`; a setting that cannot work fails there, naming itself.
 *
 *   DOCKGUARD_KAFKA__BROKERS=k1:9092,k2:9092
 *   DOCKGUARD_KAFKA__CLIENT=rdkafka
 *   DOCKGUARD_SPOOL__DIR=/var/lib/dockguard/spool
 */
import * as fs from 'node:fs';
import { DockguardError } from '../../detectors/errors';
import { defineSection, readSection, type RawConfig } from '../config/config';

export type KafkaClient = 'kafkajs' | 'rdkafka';
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface KafkaTopics {
  /** Audit events from the collectors (key: clientKey). */
  audit: string;
  findings: string;
  /** Records a service could not process, with the reason in headers. */
  deadLetter: string;
  /** Prefix of the detectors' compacted state changelogs: `<prefix><store>`. */
  changelogPrefix: string;
}

export interface ProducerSettings {
  /** Records sent in one request at most (kafkajs) / librdkafka batch.num.messages. */
  batchSize: number;
  /** How long records wait for companions before a request leaves (librdkafka linger.ms; kafkajs waits this long only when no request is in flight). */
  lingerMs: number;
  compression: Compression;
  /** A send not acknowledged by then is failed (and spooled by the audit sink). */
  sendTimeoutMs: number;
  /** ≤ 5 keeps the idempotent producer's ordering guarantee. */
  maxInFlightRequests: number;
  /** Records buffered inside the client before `send` refuses (librdkafka queue.buffering.max.messages). */
  maxQueuedRecords: number;
  /**
   * Bytes of records in one request at most (kafkajs) / librdkafka batch.size: keep it
   * under the broker's message.max.bytes (1 MB by default), which refuses a larger
   * record batch whole.
   */
  maxRequestBytes: number;
}

export interface ConsumerSettings {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxBytesPerPartition: number;
  /** Where a group without committed offsets starts. */
  fromBeginning: boolean;
}

export interface TopicDefaults {
  partitions: number;
  /** -1: the broker's default.replication.factor. */
  replicationFactor: number;
}

export interface KafkaTls {
  enabled: boolean;
  /** PEM files; null: the system's CA bundle, no client certificate. */
  caFile: string | null;
  certFile: string | null;
  keyFile: string | null;
  rejectUnauthorized: boolean;
}

export interface KafkaSasl {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  /** Prefer passwordFile: environment variables leak into process listings and crash dumps. */
  password: string | null;
  passwordFile: string | null;
}

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  client: KafkaClient;
  topics: KafkaTopics;
  producer: ProducerSettings;
  consumer: ConsumerSettings;
  topicDefaults: TopicDefaults;
  ssl: KafkaTls;
  sasl: KafkaSasl | null;
  /** Connection timeout of one broker connection. */
  connectionTimeoutMs: number;
}

export const kafkaSection = defineSection<KafkaConfig>('kafka', {
  type: 'object',
  additionalProperties: false,
  properties: {
    brokers: {
      type: 'array',
      items: { type: 'string', pattern: '^[^\\s:]+:\\d+$' },
      minItems: 1,
      default: ['127.0.0.1:9092'],
      description: 'bootstrap brokers, host:port',
    },
    clientId: { type: 'string', minLength: 1, default: 'dockguard' },
    client: {
      enum: ['kafkajs', 'rdkafka'],
      default: 'kafkajs',
      description: 'rdkafka needs the optional node-rdkafka package',
    },
    topics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        audit: { type: 'string', minLength: 1, default: 'dockguard.docker-api-events' },
        findings: { type: 'string', minLength: 1, default: 'dockguard.findings' },
        deadLetter: { type: 'string', minLength: 1, default: 'dockguard.dead-letter' },
        changelogPrefix: { type: 'string', minLength: 1, default: 'dockguard.state.' },
      },
    },
    producer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        batchSize: { type: 'integer', minimum: 1, maximum: 100000, default: 2000 },
        lingerMs: { type: 'integer', minimum: 0, maximum: 10000, default: 5 },
        compression: { enum: ['none', 'gzip', 'snappy', 'lz4', 'zstd'], default: 'none' },
        sendTimeoutMs: { type: 'integer', minimum: 100, default: 5000 },
        maxInFlightRequests: { type: 'integer', minimum: 1, maximum: 5, default: 5 },
        maxQueuedRecords: { type: 'integer', minimum: 1, default: 100000 },
        maxRequestBytes: { type: 'integer', minimum: 1024, default: 1000000 },
      },
    },
    consumer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        sessionTimeoutMs: { type: 'integer', minimum: 1000, default: 30000 },
        heartbeatIntervalMs: { type: 'integer', minimum: 100, default: 3000 },
        maxBytesPerPartition: { type: 'integer', minimum: 1024, default: 1048576 },
        fromBeginning: { type: 'boolean', default: true },
      },
    },
    topicDefaults: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        partitions: { type: 'integer', minimum: 1, default: 12 },
        replicationFactor: { type: 'integer', minimum: -1, default: -1 },
      },
    },
    ssl: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        caFile: { type: ['string', 'null'], default: null },
        certFile: { type: ['string', 'null'], default: null },
        keyFile: { type: ['string', 'null'], default: null },
        rejectUnauthorized: { type: 'boolean', default: true },
      },
    },
    sasl: {
      type: ['object', 'null'],
      additionalProperties: false,
      default: null,
      required: ['mechanism', 'username'],
      properties: {
        mechanism: { enum: ['plain', 'scram-sha-256', 'scram-sha-512'] },
        username: { type: 'string', minLength: 1 },
        password: { type: ['string', 'null'], default: null },
        passwordFile: { type: ['string', 'null'], default: null },
      },
    },
    connectionTimeoutMs: { type: 'integer', minimum: 100, default: 3000 },
  },
});

export type SpoolFullPolicy = 'failClosed' | 'failOpen';
export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface SpoolConfig {
  /** Directory owned by this collector alone (two writers would interleave segments). */
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  /** always: every append is on disk before publish resolves; interval: at most fsyncIntervalMs of records can be lost to a machine crash; never: the OS decides. */
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  /** failClosed: deny Docker API calls while nothing can record them; failOpen: let them through and count each lost event. */
  whenFull: SpoolFullPolicy;
  /** Records read from the spool per send while draining. */
  drainBatchRecords: number;
  /** Wait before retrying Kafka after a failed drain (doubles up to retryMaxMs). */
  retryMs: number;
  retryMaxMs: number;
}

export const spoolSection = defineSection<SpoolConfig>('spool', {
  type: 'object',
  additionalProperties: false,
  properties: {
    dir: { type: 'string', minLength: 1, default: '/var/lib/dockguard/spool' },
    maxBytes: { type: 'integer', minimum: 65536, default: 1024 * 1024 * 1024 },
    segmentBytes: { type: 'integer', minimum: 4096, default: 64 * 1024 * 1024 },
    fsync: { enum: ['always', 'interval', 'never'], default: 'interval' },
    fsyncIntervalMs: { type: 'integer', minimum: 1, default: 200 },
    whenFull: { enum: ['failClosed', 'failOpen'], default: 'failClosed' },
    drainBatchRecords: { type: 'integer', minimum: 1, default: 2000 },
    retryMs: { type: 'integer', minimum: 10, default: 500 },
    retryMaxMs: { type: 'integer', minimum: 10, default: 10000 },
  },
});

function bad(raw: RawConfig | null, where: string, message: string): DockguardError {
  return new DockguardError({
    stage: 'config',
    code: 'CONFIG_INVALID',
    message: `${raw?.file ?? 'configuration'} (${where}): ${message}`,
  });
}

/** Compression codecs kafkajs ships without extra packages. */
const KAFKAJS_CODECS: ReadonlySet<Compression> = new Set(['none', 'gzip']);

/** Validates what the JSON schema cannot: combinations and readable files. */
export function checkKafkaConfig(cfg: KafkaConfig, raw: RawConfig | null = null): KafkaConfig {
  if (cfg.client === 'kafkajs' && !KAFKAJS_CODECS.has(cfg.producer.compression))
    throw bad(
      raw,
      'kafka.producer.compression',
      `${cfg.producer.compression} needs an extra codec package with kafkajs; use none or gzip, or client: rdkafka`,
    );
  if (cfg.consumer.heartbeatIntervalMs * 3 > cfg.consumer.sessionTimeoutMs)
    throw bad(raw, 'kafka.consumer.heartbeatIntervalMs', 'must be at most a third of sessionTimeoutMs');
  for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
    const f = cfg.ssl[k];
    if (cfg.ssl.enabled && f !== null && !readable(f)) throw bad(raw, `kafka.ssl.${k}`, `cannot read ${f}`);
  }
  if ((cfg.ssl.certFile === null) !== (cfg.ssl.keyFile === null))
    throw bad(raw, 'kafka.ssl.certFile', 'a client certificate needs both certFile and keyFile');
  if (cfg.sasl) {
    if ((cfg.sasl.password === null) === (cfg.sasl.passwordFile === null))
      throw bad(raw, 'kafka.sasl.password', 'give exactly one of password and passwordFile');
    if (cfg.sasl.passwordFile !== null && !readable(cfg.sasl.passwordFile))
      throw bad(raw, 'kafka.sasl.passwordFile', `cannot read ${cfg.sasl.passwordFile}`);
  }
  return cfg;
}

export function readKafkaConfig(raw: RawConfig): KafkaConfig {
  return checkKafkaConfig(readSection(raw, kafkaSection), raw);
}

export function checkSpoolConfig(cfg: SpoolConfig, raw: RawConfig | null = null): SpoolConfig {
  if (cfg.segmentBytes > cfg.maxBytes) throw bad(raw, 'spool.segmentBytes', 'must not exceed spool.maxBytes');
  if (cfg.retryMaxMs < cfg.retryMs) throw bad(raw, 'spool.retryMaxMs', 'must be at least spool.retryMs');
  return cfg;
}

export function readSpoolConfig(raw: RawConfig): SpoolConfig {
  return checkSpoolConfig(readSection(raw, spoolSection), raw);
}

/** A configuration with every default, for tests and tools: `kafkaDefaults({ brokers: [...] })`. */
export function kafkaDefaults(over: Partial<KafkaConfig> = {}): KafkaConfig {
  const base = readSection({ file: null, values: {} }, kafkaSection);
  return checkKafkaConfig({ ...base, ...over });
}

export function spoolDefaults(over: Partial<SpoolConfig> = {}): SpoolConfig {
  const base = readSection({ file: null, values: {} }, spoolSection);
  return checkSpoolConfig({ ...base, ...over });
}

/** The SASL password, read from its file when configured that way. */
export function saslPassword(sasl: KafkaSasl): string {
  if (sasl.passwordFile !== null) return fs.readFileSync(sasl.passwordFile, 'utf8').trim();
  return sasl.password ?? '';
}

/** PEM contents of the TLS files, for clients that take contents (kafkajs). */
export function tlsFiles(ssl: KafkaTls): { ca?: string; cert?: string; key?: string } {
  const out: { ca?: string; cert?: string; key?: string } = {};
  if (ssl.caFile !== null) out.ca = fs.readFileSync(ssl.caFile, 'utf8');
  if (ssl.certFile !== null) out.cert = fs.readFileSync(ssl.certFile, 'utf8');
  if (ssl.keyFile !== null) out.key = fs.readFileSync(ssl.keyFile, 'utf8');
  return out;
}

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
