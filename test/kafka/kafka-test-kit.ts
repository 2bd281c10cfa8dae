// Shared pieces of the Kafka suites: configurations with unique names, a spool
// directory, and reading a topic back through the consumer adapter.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import {
  kafkaDefaults,
  spoolDefaults,
  type KafkaConfig,
  type SpoolConfig,
} from '../../pipelines/adapters/kafka-config';
import { KafkaConsumer, type ConsumedRecord } from '../../pipelines/adapters/kafka-consumer';
import { createKafkajsClient } from '../../pipelines/adapters/kafkajs-client';
import { loadRdkafka } from '../../pipelines/adapters/rdkafka-producer';

/** Silent unless DOCKGUARD_TEST_LOG=debug|info|… */
export const logger = pino({ level: process.env.DOCKGUARD_TEST_LOG ?? 'silent' });

export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function testKafkaConfig(brokers: string, over: Partial<KafkaConfig> = {}): KafkaConfig {
  const base = kafkaDefaults();
  return kafkaDefaults({
    brokers: brokers.split(','),
    clientId: `dockguard-test-${uniqueSuffix()}`,
    topicDefaults: { partitions: 4, replicationFactor: -1 },
    ...over,
    producer: { ...base.producer, ...(over.producer ?? {}) },
    consumer: { ...base.consumer, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, ...(over.consumer ?? {}) },
  });
}

export function tempSpool(over: Partial<SpoolConfig> = {}): SpoolConfig {
  return spoolDefaults({
    dir: fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-test-spool-')),
    maxBytes: 64 * 1024 * 1024,
    segmentBytes: 1024 * 1024,
    retryMs: 100,
    retryMaxMs: 1000,
    ...over,
  });
}

/** Whether node-rdkafka loads here (it is an optional dependency). */
export function rdkafkaAvailable(): boolean {
  try {
    loadRdkafka();
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the whole of `topic` with a fresh consumer group: every partition up to
 * the high watermark it had when the read began, and at least `count` records (or
 * until `timeoutMs` passed: then it returns what it has, and the test's own
 * assertion says what is missing). Counting alone is not enough: duplicates on
 * one partition could make up for records missing on another.
 */
export async function consumeAll(
  config: KafkaConfig,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<ConsumedRecord[]> {
  const admin = createKafkajsClient(config, logger).admin();
  await admin.connect();
  const remaining = new Map<number, bigint>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic))
      if (BigInt(p.high) > 0n) remaining.set(p.partition, BigInt(p.high) - 1n);
  } finally {
    await admin.disconnect();
  }
  const consumer = new KafkaConsumer(
    { ...config, consumer: { ...config.consumer, fromBeginning: true } },
    `dockguard-test-read-${uniqueSuffix()}`,
    logger,
  );
  const got: ConsumedRecord[] = [];
  let done!: () => void;
  const enough = new Promise<void>((r) => (done = r));
  await consumer.run({
    topics: [topic],
    eachBatch: async (records) => {
      got.push(...records);
      for (const r of records) {
        const last = remaining.get(r.partition);
        if (last !== undefined && BigInt(r.offset) >= last) remaining.delete(r.partition);
      }
      if (got.length >= count && remaining.size === 0) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await enough;
  clearTimeout(timer);
  await consumer.stop();
  return got;
}
