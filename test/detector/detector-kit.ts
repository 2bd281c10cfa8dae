// Shared pieces of the detector suites: a configuration with unique topics, producing
// audit events, and the oracle (the pure pipeline run per partition in offset order).
import { DetectorPipeline } from '../../detectors/detector-pipeline';
import { clientKey } from '../../detectors/findings/client-key';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { Finding } from '../../schemas/generated/finding';
import { changelogTopic, ensureTopics, pipelineTopics } from '../../pipelines/adapters/kafka-admin';
import type { KafkaConfig } from '../../pipelines/adapters/kafka-config';
import type { ConsumedRecord } from '../../pipelines/adapters/kafka-consumer';
import { createRecordProducer, type ProducerRecord } from '../../pipelines/adapters/kafka-producer';
import { AvroCodec } from '../../pipelines/codec/avro-codec';
import { loadConfig } from '../../pipelines/config/config';
import { changelogStore, readDetectorConfig, type DetectorConfig } from '../../pipelines/detector/detector-config';
import { AUDIT_SUBJECT, FINDING_SUBJECT } from '../../pipelines/detector/detector-service';
import { loadDetectorSets } from '../../pipelines/detector/detector-sets';
import { consumeAll, logger, testKafkaConfig, uniqueSuffix } from '../kafka/kafka-test-kit';

export const codec = new AvroCodec();

export function detectorTestConfig(
  brokers: string,
  partitions: number,
): { kafka: KafkaConfig; detector: DetectorConfig } {
  const s = uniqueSuffix();
  const kafka = testKafkaConfig(brokers, {
    topics: {
      audit: `test-audit-${s}`,
      findings: `test-findings-${s}`,
      deadLetter: `test-dead-letter-${s}`,
      changelogPrefix: `test-state-${s}.`,
    },
    topicDefaults: { partitions, replicationFactor: -1 },
  });
  kafka.consumer.fromBeginning = true;
  // a loaded 2-core CI machine: generous acknowledgement time
  kafka.producer.sendTimeoutMs = 30_000;
  const detector = { ...readDetectorConfig(loadConfig(null, {})), groupId: `test-detector-${s}`, watch: false };
  return { kafka, detector };
}

/** Creates the pipeline's topics and the changelog (as the service does at start). */
export async function createTopics(kafka: KafkaConfig, detector: DetectorConfig): Promise<void> {
  await ensureTopics(kafka, logger, [...pipelineTopics(kafka), changelogTopic(kafka, changelogStore(detector))]);
}

export async function produceEvents(
  kafka: KafkaConfig,
  events: DockerApiEvent[],
  extra: ProducerRecord[] = [],
): Promise<void> {
  const producer = createRecordProducer(kafka, logger);
  try {
    const records: ProducerRecord[] = events.map((e) => ({
      topic: kafka.topics.audit,
      key: clientKey(e),
      value: codec.encode(AUDIT_SUBJECT, e),
    }));
    records.push(...extra);
    // the producer keeps each request under the broker's message.max.bytes (producer.maxRequestBytes)
    await producer.send(records);
  } finally {
    await producer.close();
  }
}

/**
 * Reads the audit topic back, runs the oracle (one pipeline over the whole stream)
 * and waits for its findings on the findings topic: the ids must be the same set.
 */
export async function expectOracleFindings(
  kafka: KafkaConfig,
  detector: DetectorConfig,
  auditRecords: number,
): Promise<Finding[]> {
  const audit = await consumeAll(kafka, kafka.topics.audit, auditRecords);
  const oracle = oracleFindings(detector, audit);
  const got = decodeFindings(await consumeAll(kafka, kafka.topics.findings, oracle.length, 90_000));
  expect(new Set(got.map((f) => f.finding.id))).toEqual(new Set(oracle.map((f) => f.finding.id)));
  return got;
}

export function decodeFindings(records: ConsumedRecord[]): Finding[] {
  return records.map((r) => codec.decode(FINDING_SUBJECT, r.value!) as Finding);
}

/** What the pipeline yields for the audit records as Kafka stored them: per partition, in offset order. */
export function oracleFindings(detector: DetectorConfig, audit: ConsumedRecord[]): Finding[] {
  const loaded = loadDetectorSets(detector);
  const pipeline = new DetectorPipeline(loaded.sets!, { allowedLatenessMs: detector.allowedLatenessMs });
  const sorted = [...audit].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
  const out: Finding[] = [];
  for (const r of sorted) {
    let event: unknown;
    try {
      event = codec.decode(AUDIT_SUBJECT, r.value!);
    } catch {
      continue; // dead-lettered by the service
    }
    out.push(...pipeline.process(event, { partition: r.partition, offset: Number(r.offset) }).findings);
  }
  return out;
}
