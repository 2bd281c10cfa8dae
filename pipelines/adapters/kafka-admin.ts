/**
 * Topic setup: the topics dockguard reads and writes exist with the partitions and
 * replication the configuration asks for, and the detectors' state changelogs are
 * compacted (`cleanup.policy=compact`: Kafka keeps the newest value per key, so a
 * restore reads each key's last state, not its whole history).
 *
 * `ensureTopics` is idempotent and never destructive: it creates what is missing,
 * raises a changelog's cleanup policy to compact, and reports (does not fix) an
 * existing topic with fewer partitions than asked, because adding partitions moves
 * keys to other partitions and breaks per-client order and per-partition state.
 */
import type { ITopicConfig, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { DockguardError } from '../../detectors/errors';
import type { KafkaConfig } from './kafka-config';
import { createKafkajsClient } from './kafkajs-client';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** -1: the broker's default. */
  replicationFactor: number;
  /** Topic configuration entries, e.g. { 'cleanup.policy': 'compact' }. */
  config?: Record<string, string>;
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
  /** Existing topics whose configuration was changed (cleanup.policy). */
  altered: string[];
  /** Existing topics with fewer partitions than asked (left as they are). */
  underPartitioned: { topic: string; partitions: number; wanted: number }[];
}

/** The topics of the pipeline, with the configuration's partition and replication defaults. */
export function pipelineTopics(config: KafkaConfig): TopicSpec[] {
  const { partitions, replicationFactor } = config.topicDefaults;
  const t = config.topics;
  return [t.audit, t.findings, t.deadLetter].map((topic) => ({ topic, partitions, replicationFactor }));
}

/** A detector state store's changelog topic: compacted, partitioned like the audit topic it mirrors. */
export function changelogTopic(config: KafkaConfig, store: string): TopicSpec {
  if (!/^[a-zA-Z0-9._-]+$/.test(store))
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: `state store name "${store}" is not a valid topic name part (letters, digits, . _ -)`,
    });
  return {
    topic: `${config.topics.changelogPrefix}${store}`,
    partitions: config.topicDefaults.partitions,
    replicationFactor: config.topicDefaults.replicationFactor,
    config: { 'cleanup.policy': 'compact' },
  };
}

export async function ensureTopics(
  config: KafkaConfig,
  logger: Logger,
  specs: TopicSpec[],
  kafka: Kafka = createKafkajsClient(config, logger, '-admin'),
): Promise<EnsureTopicsResult> {
  const log = logger.child({ component: 'kafka-admin' });
  const admin = kafka.admin();
  const result: EnsureTopicsResult = { created: [], existing: [], altered: [], underPartitioned: [] };
  try {
    await admin.connect();
    const present = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !present.has(s.topic));
    if (missing.length > 0) {
      const topics: ITopicConfig[] = missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      }));
      // false when another process created one meanwhile: fine, checked below
      await admin.createTopics({ topics, waitForLeaders: true });
      result.created.push(...missing.map((s) => s.topic));
      log.info({ topics: result.created }, 'created topics');
    }
    const existing = specs.filter((s) => present.has(s.topic));
    if (existing.length === 0) return result;
    result.existing.push(...existing.map((s) => s.topic));
    const meta = await admin.fetchTopicMetadata({ topics: existing.map((s) => s.topic) });
    for (const s of existing) {
      const have = meta.topics.find((t) => t.name === s.topic)?.partitions.length ?? 0;
      if (have < s.partitions) {
        result.underPartitioned.push({ topic: s.topic, partitions: have, wanted: s.partitions });
        log.warn(
          { topic: s.topic, partitions: have, wanted: s.partitions },
          'topic has fewer partitions than configured; left as it is (adding partitions would move clients to other partitions)',
        );
      }
    }
    const compacted = existing.filter((s) => s.config?.['cleanup.policy']);
    if (compacted.length > 0) {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: compacted.map((s) => ({ type: 2 /* TOPIC */, name: s.topic, configNames: ['cleanup.policy'] })),
      });
      for (const r of described.resources) {
        const want = compacted.find((s) => s.topic === r.resourceName)?.config?.['cleanup.policy'];
        const have = r.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
        if (want && have !== want) {
          await admin.alterConfigs({
            validateOnly: false,
            resources: [{ type: 2, name: r.resourceName, configEntries: [{ name: 'cleanup.policy', value: want }] }],
          });
          result.altered.push(r.resourceName);
          log.warn({ topic: r.resourceName, from: have, to: want }, 'changed the cleanup policy of a changelog topic');
        }
      }
    }
    return result;
  } catch (e) {
    throw new DockguardError({
      stage: 'runtime',
      code: 'KAFKA_UNAVAILABLE',
      message: `cannot set up topics ${specs.map((s) => s.topic).join(', ')}: ${(e as Error).message}`,
      retriable: true,
      cause: e,
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Deletes topics (tests, tools); missing topics are not an error. */
export async function deleteTopics(config: KafkaConfig, logger: Logger, topics: string[]): Promise<void> {
  const admin = createKafkajsClient(config, logger, '-admin').admin();
  try {
    await admin.connect();
    const present = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => present.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
