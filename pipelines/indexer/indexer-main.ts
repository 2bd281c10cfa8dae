/**
 * Wiring of the indexer service (`dockguard index --config f`): configuration,
 * templates, the Elasticsearch sink, the dead-letter producer and the consumer
 * group, with an ordered shutdown: stop taking batches, let the batch in progress
 * finish (waiting at most `drainTimeoutMs` for Elasticsearch, then leaving it
 * uncommitted for the next owner), commit, leave the group, close.
 */
import type { Logger } from 'pino';
import type { RawConfig } from '../config/config';
import { setupElasticsearch, type SetupReport } from '../adapters/elasticsearch-setup';
import { createElasticsearchClient, ElasticsearchSink } from '../adapters/elasticsearch-sink';
import { readKafkaConfig, type KafkaConfig } from '../adapters/kafka-config';
import { KafkaConsumer } from '../adapters/kafka-consumer';
import { createRecordProducer } from '../adapters/kafka-producer';
import { AvroCodec } from '../codec/avro-codec';
import { createCodec } from '../codec/create-codec';
import { createLogger } from '../runtime/logger';
import { ServiceMetrics } from '../runtime/metrics';
import { opsSection, startOpsServer } from '../runtime/ops-server';
import { createShutdown } from '../runtime/shutdown';
import { readSection } from '../config/config';
import * as fs from 'fs';
import {
  readElasticsearchConfig,
  readIndexerConfig,
  type ElasticsearchConfig,
  type IndexerConfig,
} from './indexer-config';
import { IndexerService } from './indexer-service';

export function elasticsearchClientFor(es: ElasticsearchConfig) {
  return createElasticsearchClient({
    node: es.nodes,
    requestTimeoutMs: es.requestTimeoutMs,
    username: es.username ?? undefined,
    password: es.password ?? undefined,
    apiKey: es.apiKey ?? undefined,
    caPem: es.caFile ? fs.readFileSync(es.caFile, 'utf8') : undefined,
  });
}

export interface RunningIndexer {
  stop(): Promise<void>;
  setup: SetupReport | null;
  sink: ElasticsearchSink;
}

/** Starts consuming; resolves once running. Used by the CLI and by tests (without the ops server). */
export async function startIndexer(opts: {
  kafka: KafkaConfig;
  es: ElasticsearchConfig;
  indexer: IndexerConfig;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** Default: the built-in catalogue. */
  codec?: AvroCodec;
}): Promise<RunningIndexer> {
  const { kafka, es, indexer, logger } = opts;
  const client = elasticsearchClientFor(es);
  const setup = indexer.setupOnStart
    ? await setupElasticsearch(client, {
        namespace: indexer.namespace,
        replicas: es.replicas,
        retentionDays: es.retentionDays,
      })
    : null;
  if (setup) logger.info({ mode: setup.mode, ilm: setup.ilm, targets: setup.targets }, 'Elasticsearch set up');
  const drain = new AbortController();
  const sink = new ElasticsearchSink(client, { baseMs: indexer.retryBaseMs, maxMs: indexer.retryMaxMs });
  const deadLetter = createRecordProducer(kafka, logger);
  const service = new IndexerService({
    sink,
    codec: opts.codec ?? new AvroCodec(),
    deadLetter,
    deadLetterTopic: kafka.topics.deadLetter,
    findingsTopic: kafka.topics.findings,
    auditTopic: indexer.indexAudit ? kafka.topics.audit : null,
    namespace: indexer.namespace,
    bulkSize: indexer.bulkSize,
    concurrency: indexer.concurrency,
    logger,
    signal: drain.signal,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const consumer = new KafkaConsumer(kafka, indexer.groupId, logger);
  const topics = indexer.indexAudit ? [kafka.topics.findings, kafka.topics.audit] : [kafka.topics.findings];
  await consumer.run({
    topics,
    partitionsConsumedConcurrently: indexer.partitions,
    eachBatch: (records, ctx) => service.handleBatch(records, ctx),
  });
  logger.info({ topics, group: indexer.groupId, bulkSize: indexer.bulkSize }, 'indexer consuming');
  return {
    setup,
    sink,
    async stop() {
      const timer = setTimeout(() => drain.abort(), indexer.drainTimeoutMs);
      try {
        await consumer.stop();
      } finally {
        clearTimeout(timer);
        await deadLetter.close().catch((err: unknown) => logger.warn({ err }, 'closing the dead-letter producer'));
        await client.close();
      }
    },
  };
}

/** The whole service, as `dockguard index` runs it. Resolves when it has shut down. */
export async function runIndexerService(raw: RawConfig): Promise<number> {
  const logger = createLogger('indexer', raw);
  const kafka = readKafkaConfig(raw);
  const es = readElasticsearchConfig(raw);
  const indexer = readIndexerConfig(raw);
  const metrics = new ServiceMetrics('indexer');
  const ops = await startOpsServer({ config: readSection(raw, opsSection), registry: metrics.registry, logger });
  // with schemaRegistry.url: ids from the registry (startup stops if it refuses the schemas)
  const codec = await createCodec(raw);
  const running = await startIndexer({ kafka, es, indexer, logger, metrics, codec });
  const health = elasticsearchClientFor(es);
  ops.addReadinessCheck('elasticsearch', () => health.cluster.health({ timeout: '1s' }));
  const shutdown = createShutdown({ logger });
  shutdown.onShutdown('draining', () => ops.setDraining(), 10);
  shutdown.onShutdown('consumer', () => running.stop(), 20);
  shutdown.onShutdown(
    'ops-server',
    async () => {
      await health.close();
      await ops.close();
    },
    90,
  );
  shutdown.install();
  return new Promise<number>(() => undefined);
}
