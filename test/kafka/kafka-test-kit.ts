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
 * Reads `topic` from the beginning with a fresh consumer group until `count`
 * records arrived (or `timeoutMs` passed: then it returns what it has, and the
 * test's own assertion says what is missing).
 */
export async function consumeAll(
  config: KafkaConfig,
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<ConsumedRecord[]> {
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
      if (got.length >= count) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await enough;
  clearTimeout(timer);
  await consumer.stop();
  return got;
}
