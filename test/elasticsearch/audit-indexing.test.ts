// End to end for the audit stream: audit events built the way the collectors build
// them (test/detector/audit-stream.ts) → Avro on Kafka → the indexer (indexAudit) →
// logs-dockguard.audit-<ns>; then every exported rule, run on that index, returns
// exactly the events the engine matches on the same events as the detectors decode
// them from Kafka (nulls and all). Uses the shared Kafka and Elasticsearch with
// unique topics, group and namespace.
import type { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import pino from 'pino';
import { exportRules } from '../../detectors/export/export-rules';
import { EventContext } from '../../detectors/sigma/event-context';
import { targetName } from '../../pipelines/adapters/elasticsearch-setup';
import { kafkaDefaults } from '../../pipelines/adapters/kafka-config';
import { createRecordProducer } from '../../pipelines/adapters/kafka-producer';
import { loadFromPaths } from '../../pipelines/cli/load';
import { AvroCodec } from '../../pipelines/codec/avro-codec';
import { readSection } from '../../pipelines/config/config';
import { auditExportOptions } from '../../pipelines/indexer/audit-fields';
import { elasticsearchSection, indexerSection } from '../../pipelines/indexer/indexer-config';
import { startIndexer } from '../../pipelines/indexer/indexer-main';
import { generateStream, seedCampaign } from '../detector/audit-stream';
import { localServices, skipReason } from '../services/local-services';
import { esClient, esUrl, unique } from './es-test-kit';
import * as path from 'node:path';

const brokers = localServices().kafkaBrokers;
const suite = esUrl && brokers ? describe : describe.skip;

suite(
  esUrl && brokers
    ? 'audit stream indexing (real Kafka and Elasticsearch)'
    : skipReason('ELASTICSEARCH_URL or KAFKA_BROKERS', 'all'),
  () => {
    const run = unique('t');
    const topics = { findings: `dgtest.findings.${run}`, audit: `dgtest.audit.${run}`, dlq: `dgtest.dlq.${run}` };
    let es: Client;
    let admin: Admin;

    beforeAll(async () => {
      es = esClient();
      admin = new Kafka({
        clientId: 'dgtest-audit',
        brokers: (brokers as string).split(','),
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      await admin.createTopics({
        topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 1 })),
        waitForLeaders: true,
      });
    });

    afterAll(async () => {
      await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
      await admin.disconnect();
      await es.indices.delete({ index: `logs-dockguard.*-${run}-*`, ignore_unavailable: true }).catch(() => undefined);
      await es.close();
    });

    test('collector-built events are indexed, and exported rules match on them exactly as the engine does', async () => {
      const logger = pino({ level: 'silent' });
      const codec = new AvroCodec();
      const events = [
        ...seedCampaign('203.0.113.7', Date.parse('2026-11-28T10:00:00Z'), 'seed'),
        ...generateStream(400, 3, 4, 100),
      ];
      const records = events.map((e) => codec.encode('dockguard.docker-api-event', e));
      const base = kafkaDefaults({ brokers: (brokers as string).split(',') });
      const kafka = kafkaDefaults({
        brokers: base.brokers,
        clientId: `dgtest-${run}`,
        topics: { ...base.topics, findings: topics.findings, audit: topics.audit, deadLetter: topics.dlq },
      });
      const producer = createRecordProducer(kafka, logger);
      await producer.send(records.map((value, i) => ({ topic: topics.audit, key: String(i), value })));
      await producer.close();
      const indexer = await startIndexer({
        kafka,
        es: { ...readSection({ file: null, values: {} }, elasticsearchSection), nodes: [esUrl as string], replicas: 0 },
        indexer: {
          ...readSection({ file: null, values: {} }, indexerSection),
          groupId: `dgtest-indexer-${run}`,
          namespace: run,
          indexAudit: true,
        },
        logger,
      });
      const index = targetName('audit', run);
      try {
        const deadline = Date.now() + 90_000;
        let n = 0;
        while (Date.now() < deadline) {
          await es.indices.refresh({ index });
          n = (await es.count({ index })).count;
          if (n >= events.length) break;
          await new Promise((r) => setTimeout(r, 1000));
        }
        expect(n).toBe(events.length);
        expect(indexer.sink.stats.rejected).toBe(0);
      } finally {
        await indexer.stop();
      }

      // the engine sees what the detectors see: the records decoded from Avro
      const decoded = records.map((r) => codec.decode('dockguard.docker-api-event', r) as { event: { id: string } });
      const loaded = loadFromPaths({ rules: [path.resolve(__dirname, '../../sigma-rules')], logsources: [] });
      const result = exportRules(loaded.result, {
        format: 'kibana-ndjson',
        ...auditExportOptions(),
        index,
      });
      const mismatches: string[] = [];
      let matches = 0;
      for (const e of result.exported) {
        const expected = new Set(decoded.filter((d) => e.rule.predicate(new EventContext(d))).map((d) => d.event.id));
        matches += expected.size;
        const dsl = (e.output['filters'] as Array<{ query: Record<string, unknown> }>)[0]?.query;
        const r = await es.search({ index, size: 10_000, _source: false, query: dsl as never });
        const got = new Set(r.hits.hits.map((h) => h._id as string));
        if (expected.size !== got.size || [...expected].some((x) => !got.has(x)))
          mismatches.push(`${e.rule.title}: engine ${expected.size}, Elasticsearch ${got.size}`);
      }
      process.stdout.write(`audit e2e: ${events.length} events, ${result.exported.length} rules, ${matches} matches\n`);
      expect(mismatches).toEqual([]);
      expect(matches).toBeGreaterThan(0);
    });
  },
);
