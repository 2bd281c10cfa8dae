// The indexer against the real shared Kafka and Elasticsearch, through a TCP proxy
// in front of Elasticsearch (the shared server is never stopped): templates install
// twice; seed findings become searchable by source.ip, rule.name and
// threat.technique.id; re-delivery leaves the count unchanged; a mapping conflict
// lands in the dead-letter topic with the reason; and a 60 s outage under a steady
// stream loses nothing and duplicates nothing.
import type { Client } from '@elastic/elasticsearch';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import pino from 'pino';
import { setupElasticsearch, targetName } from '../../pipelines/adapters/elasticsearch-setup';
import { kafkaDefaults, type KafkaConfig } from '../../pipelines/adapters/kafka-config';
import { createRecordProducer, type RecordProducer } from '../../pipelines/adapters/kafka-producer';
import { AvroCodec } from '../../pipelines/codec/avro-codec';
import { readSection } from '../../pipelines/config/config';
import { elasticsearchSection, indexerSection, type IndexerConfig } from '../../pipelines/indexer/indexer-config';
import { startIndexer, type RunningIndexer } from '../../pipelines/indexer/indexer-main';
import type { Finding } from '../../schemas/generated/finding';
import { localServices, skipReason } from '../services/local-services';
import { esClient, esUrl, unique } from './es-test-kit';
import { seedFindings } from './findings-fixture';
import { TcpProxy } from './tcp-proxy';

const brokers = localServices().kafkaBrokers;
const suite = esUrl && brokers ? describe : describe.skip;
const logger = pino({ level: process.env.DOCKGUARD_TEST_LOG ?? 'silent' });
const codec = new AvroCodec();

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

suite(
  esUrl && brokers ? 'indexer (real Kafka and Elasticsearch)' : skipReason('ELASTICSEARCH_URL or KAFKA_BROKERS', 'all'),
  () => {
    let es: Client;
    let admin: Admin;
    let kafkajs: Kafka;
    let producer: RecordProducer;
    const proxy = new TcpProxy(new URL(esUrl ?? 'http://x').hostname, Number(new URL(esUrl ?? 'http://x:1').port));
    let proxyUrl = '';
    const topics: string[] = [];
    const namespaces: string[] = [];

    beforeAll(async () => {
      es = esClient();
      proxyUrl = await proxy.start();
      kafkajs = new Kafka({
        clientId: 'dgtest-indexer',
        brokers: (brokers as string).split(','),
        logLevel: logLevel.NOTHING,
      });
      admin = kafkajs.admin();
      await admin.connect();
      producer = createRecordProducer(kafkaDefaults({ brokers: (brokers as string).split(',') }), logger);
    });

    afterAll(async () => {
      await producer.close();
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
      for (const ns of namespaces)
        await es.indices.delete({ index: `logs-dockguard.*-${ns}-*`, ignore_unavailable: true }).catch(() => undefined);
      await es.close();
      await proxy.close();
    });

    /** Unique topics, namespace and group for one scenario. */
    async function scenario(): Promise<{ kafka: KafkaConfig; indexer: IndexerConfig; ns: string }> {
      const run = unique('t');
      const t = { findings: `dgtest.findings.${run}`, audit: `dgtest.audit.${run}`, dlq: `dgtest.dlq.${run}` };
      topics.push(t.findings, t.audit, t.dlq);
      namespaces.push(run);
      await admin.createTopics({
        topics: [
          { topic: t.findings, numPartitions: 2 },
          { topic: t.audit, numPartitions: 1 },
          { topic: t.dlq, numPartitions: 1 },
        ],
        waitForLeaders: true,
      });
      const base = kafkaDefaults({ brokers: (brokers as string).split(',') });
      const kafka = kafkaDefaults({
        brokers: base.brokers,
        clientId: `dgtest-${run}`,
        topics: { ...base.topics, findings: t.findings, audit: t.audit, deadLetter: t.dlq },
        consumer: { ...base.consumer, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1000, fromBeginning: true },
      });
      const indexer = {
        ...readSection({ file: null, values: {} }, indexerSection),
        groupId: `dgtest-indexer-${run}`,
        namespace: run,
        bulkSize: 50,
        retryMaxMs: 2000,
        drainTimeoutMs: 2000,
      };
      return { kafka, indexer, ns: run };
    }

    function esConfig(node: string) {
      return {
        ...readSection({ file: null, values: {} }, elasticsearchSection),
        nodes: [node],
        replicas: 0,
        requestTimeoutMs: 5000,
      };
    }

    async function produce(kafka: KafkaConfig, findings: Finding[]): Promise<void> {
      await producer.send(
        findings.map((f) => ({
          topic: kafka.topics.findings,
          key: f.dockguard.client_key,
          value: codec.encode('dockguard.finding', f),
        })),
      );
    }

    async function count(ns: string, query?: Record<string, unknown>): Promise<number> {
      const index = targetName('findings', ns);
      await es.indices.refresh({ index });
      return (await es.count({ index, ...(query ? { query: query as never } : {}) })).count;
    }

    /** The group has committed everything written to the findings topic so far. */
    async function caughtUp(kafka: KafkaConfig, groupId: string): Promise<boolean> {
      const ends = await admin.fetchTopicOffsets(kafka.topics.findings);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [kafka.topics.findings] });
      return ends.every((e) => {
        const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset;
        // a partition that never had a record has no committed offset (-1)
        return c === e.high || (e.high === e.low && c === '-1');
      });
    }

    test('templates and write targets install twice without error', async () => {
      const ns = unique('t');
      namespaces.push(ns);
      const first = await setupElasticsearch(es, { namespace: ns, replicas: 0, retentionDays: 30 });
      const second = await setupElasticsearch(es, { namespace: ns, replicas: 0, retentionDays: 30 });
      expect(first.targets.map((t) => t.action)).toEqual(['created', 'created']);
      expect(second.targets.map((t) => t.action)).toEqual(['existed', 'existed']);
      // this cluster (integ-test-zip) has no data stream API: indices behind write aliases
      expect(second.mode).toBe(first.mode);
      if (first.mode === 'index_alias') {
        const aliases = await es.indices.getAlias({ name: targetName('findings', ns) });
        expect(Object.keys(aliases)).toEqual([`${targetName('findings', ns)}-000001`]);
      }
      const tpl = await es.indices.getIndexTemplate({ name: 'logs-dockguard.findings' });
      expect(tpl.index_templates[0]?.index_template.index_patterns).toEqual(['logs-dockguard.findings-*']);
    });

    test('findings become searchable, re-delivery adds nothing, a mapping conflict is dead-lettered', async () => {
      const { kafka, indexer, ns } = await scenario();
      const running = await startIndexer({ kafka, es: esConfig(proxyUrl), indexer, logger });
      try {
        const findings = seedFindings(30, ns);
        const bad = seedFindings(1, `${ns}-bad`, (f) => {
          f.source.ip = 'not-an-ip';
        });
        await produce(kafka, [...findings, ...bad]);
        await until('30 findings indexed', async () => (await count(ns)) === 30);
        expect(await count(ns, { term: { 'source.ip': '203.0.113.7' } })).toBe(30);
        expect(await count(ns, { term: { 'rule.name': 'Container Command Chroots Into A Mounted Host Path' } })).toBe(
          10,
        );
        expect(await count(ns, { term: { 'threat.technique.id': 'T1611' } })).toBe(20);
        expect(await count(ns, { term: { 'event.kind': 'alert' } })).toBe(30);
        expect(await count(ns, { match: { 'process.command_line.text': 'curl' } })).toBe(30);

        // the dead-letter topic holds the refused finding, with the reason
        const dlq = await readTopic(kafkajs, kafka.topics.deadLetter, 1);
        expect(dlq).toHaveLength(1);
        const h = dlq[0]!.headers;
        expect(h['dockguard.error.code']).toBe('ELASTICSEARCH_REJECTED');
        expect(h['dockguard.error.reason']).toMatch(/source\.ip|mapper_parsing_exception|document_parsing_exception/);
        expect((codec.decode('dockguard.finding', dlq[0]!.value) as Finding).finding.id).toBe(bad[0]!.finding.id);

        // re-delivery: the same findings again, all answered 409
        await until('offsets committed', () => caughtUp(kafka, indexer.groupId));
        const before = running.sink.stats.duplicates;
        await produce(kafka, findings);
        await until('re-delivery consumed', () => caughtUp(kafka, indexer.groupId));
        expect(running.sink.stats.duplicates - before).toBe(30);
        expect(await count(ns)).toBe(30);
      } finally {
        await running.stop();
      }
    });

    test('SIGTERM during an outage leaves the batch uncommitted; the next indexer writes it exactly once', async () => {
      const { kafka, indexer, ns } = await scenario();
      const findings = seedFindings(200, ns);
      await setupElasticsearch(es, { namespace: ns, replicas: 0, retentionDays: 30 });
      proxy.cut();
      const running = await startIndexer({
        kafka,
        es: esConfig(proxyUrl),
        indexer: { ...indexer, setupOnStart: false },
        logger,
      });
      await produce(kafka, findings);
      // the batch is stuck behind the cut proxy; stop drains for drainTimeoutMs, then leaves it uncommitted
      await new Promise((r) => setTimeout(r, 5000));
      const stopped = Date.now();
      await running.stop();
      expect(Date.now() - stopped).toBeLessThan(indexer.drainTimeoutMs + 15_000);
      expect(await caughtUp(kafka, indexer.groupId)).toBe(false);
      expect(await count(ns)).toBe(0);
      proxy.restore();
      const next = await startIndexer({ kafka, es: esConfig(proxyUrl), indexer, logger });
      try {
        await until('200 findings indexed', async () => (await count(ns)) === 200);
        await until('offsets committed', () => caughtUp(kafka, indexer.groupId));
        expect(await count(ns)).toBe(200);
      } finally {
        await next.stop();
      }
    }, 180_000);

    test('Elasticsearch unreachable for 60 s under a steady stream: nothing lost, nothing duplicated', async () => {
      const { kafka, indexer, ns } = await scenario();
      const running: RunningIndexer = await startIndexer({ kafka, es: esConfig(proxyUrl), indexer, logger });
      try {
        const total = 1500;
        const all = seedFindings(total, ns);
        const started = Date.now();
        let sent = 0;
        let cutAt = 0;
        let restoredAt = 0;
        // 20 findings every second for 75 s; the proxy is cut from second 5 to second 65
        while (sent < total) {
          const elapsed = Date.now() - started;
          if (!cutAt && elapsed >= 5000) {
            proxy.cut();
            cutAt = Date.now();
          }
          if (cutAt && !restoredAt && Date.now() - cutAt >= 60_000) {
            proxy.restore();
            restoredAt = Date.now();
          }
          await produce(kafka, all.slice(sent, sent + 20));
          sent += 20;
          await new Promise((r) => setTimeout(r, 1000));
        }
        if (!restoredAt) {
          await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - cutAt))));
          proxy.restore();
        }
        await until('every finding indexed', async () => (await count(ns)) >= total, 90_000);
        await until('offsets committed', () => caughtUp(kafka, indexer.groupId));
        expect(await count(ns)).toBe(total);
        // every seeded id is there exactly once: compared exactly, id by id (a cardinality
        // aggregation is approximate even below its precision threshold, hash collisions)
        const stored = await es.search<{ finding: { id: string } }>({
          index: targetName('findings', ns),
          size: total + 10,
          _source: ['finding.id'],
        });
        const storedIds = stored.hits.hits.map((h) => h._source!.finding.id).sort();
        expect(storedIds).toEqual(all.map((f) => f.finding.id).sort());
        expect(running.sink.stats.retries).toBeGreaterThan(0);
        expect(running.sink.stats.rejected).toBe(0);
      } finally {
        proxy.restore();
        await running.stop();
      }
    }, 300_000);
  },
);

async function readTopic(
  kafka: Kafka,
  topic: string,
  want: number,
): Promise<Array<{ value: Buffer; headers: Record<string, string> }>> {
  const consumer = kafka.consumer({ groupId: unique('dgtest-reader-') });
  const got: Array<{ value: Buffer; headers: Record<string, string> }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      got.push({ value: message.value as Buffer, headers });
    },
  });
  await until(`${want} records on ${topic}`, async () => got.length >= want, 30_000);
  await consumer.disconnect();
  return got;
}
