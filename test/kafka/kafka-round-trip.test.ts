// Audit events through the real shared broker with each producer client: every
// event comes back and decodes to what was published; one client's events are
// on one partition and in publish order; both clients choose the same partition
// for a key. Also the consumer adapter's contract (commit after the handler,
// assignment callbacks) and the topic setup (compacted changelogs).
import * as fs from 'node:fs';
import { makeAuditEvents } from '../../bench/gen-audit-events';
import { createKafkaAuditSink, AUDIT_SUBJECT } from '../../pipelines/adapters/kafka-audit-sink';
import { changelogTopic, deleteTopics, ensureTopics } from '../../pipelines/adapters/kafka-admin';
import { KafkaConsumer, type TopicPartitions } from '../../pipelines/adapters/kafka-consumer';
import { AvroCodec } from '../../pipelines/codec/avro-codec';
import { clientKey } from '../../pipelines/collectors/client-key';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { localServices, skipReason } from '../services/local-services';
import { consumeAll, logger, rdkafkaAvailable, tempSpool, testKafkaConfig, uniqueSuffix } from './kafka-test-kit';
import { createKafkajsClient } from '../../pipelines/adapters/kafkajs-client';

jest.setTimeout(180_000);

const brokers = localServices().kafkaBrokers;
const suffix = uniqueSuffix();
const topics: string[] = [];

(brokers ? describe : describe.skip)(
  brokers ? `Kafka publishing and consuming at ${brokers}` : `Kafka publishing ${skipReason('KAFKA_BROKERS', 'kafka')}`,
  () => {
    const base = testKafkaConfig(brokers ?? '127.0.0.1:1');
    const partitionOfKey: Record<string, Map<string, number>> = {};
    const codec = new AvroCodec();

    afterAll(async () => {
      await deleteTopics(base, logger, topics).catch(() => undefined);
    });

    const clients = rdkafkaAvailable() ? (['kafkajs', 'rdkafka'] as const) : (['kafkajs'] as const);
    test.each(clients)(
      '%s: every event comes back decoded as published, one client per partition, in publish order',
      async (client) => {
        const topic = `dockguard-test-audit-${client}-${suffix}`;
        topics.push(topic);
        const config = { ...base, client, topics: { ...base.topics, audit: topic } };
        await ensureTopics(config, logger, [{ topic, partitions: 4, replicationFactor: -1 }]);
        const spool = tempSpool();
        const sink = await createKafkaAuditSink({ kafka: config, spool }, logger);
        const n = 1500;
        const events = makeAuditEvents(n, { idPrefix: client, clients: 40 });
        // All at once, as a busy collector would: call order is the publish order.
        await Promise.all(events.map((e) => sink.publish(e)));
        const stats = sink.stats();
        await sink.close();
        expect(stats).toMatchObject({ mode: 'direct', sentDirect: n, spooled: 0, lost: 0, refused: 0 });
        fs.rmSync(spool.dir, { recursive: true, force: true });

        const records = await consumeAll(config, topic, n);
        const byId = new Map<string, { event: DockerApiEvent; partition: number; offset: bigint; key: string }>();
        for (const r of records) {
          const event = codec.decode(AUDIT_SUBJECT, r.value!) as DockerApiEvent;
          expect(byId.has(event.event.id)).toBe(false); // an idempotent producer on a healthy broker: no duplicates
          byId.set(event.event.id, { event, partition: r.partition, offset: BigInt(r.offset), key: r.key!.toString() });
        }
        expect(records).toHaveLength(n);
        for (const e of events) expect(byId.get(e.event.id)?.event).toEqual(e);

        const keyPartition = new Map<string, number>();
        for (const { event, partition, key } of byId.values()) {
          expect(key).toBe(clientKey(event));
          expect(keyPartition.get(key) ?? partition).toBe(partition);
          keyPartition.set(key, partition);
        }
        expect(new Set(keyPartition.values()).size).toBeGreaterThan(1); // the keys do spread
        partitionOfKey[client] = keyPartition;

        // per key, offsets increase with the publish sequence number
        const seq = (id: string): number => Number(id.slice(id.lastIndexOf('-') + 1));
        const lastByKey = new Map<string, { seq: number; offset: bigint }>();
        for (const { event, offset, key } of [...byId.values()].sort(
          (a, b) => seq(a.event.event.id) - seq(b.event.event.id),
        )) {
          const prev = lastByKey.get(key);
          if (prev) expect(offset > prev.offset).toBe(true);
          lastByKey.set(key, { seq: seq(event.event.id), offset });
        }
      },
    );

    test('both clients put a key on the same partition (murmur2, as the Java client)', () => {
      const a = partitionOfKey.kafkajs;
      const b = partitionOfKey.rdkafka;
      if (!a || !b) {
        // rdkafka missing here: nothing to compare, but kafkajs must have run
        expect(a ?? b).toBeDefined();
        return;
      }
      expect(b.size).toBe(a.size);
      for (const [key, p] of a) expect(b.get(key)).toBe(p);
    });

    test('the consumer commits only after the handler resolved; a new member resumes after the last commit', async () => {
      const topic = `dockguard-test-consumer-${suffix}`;
      topics.push(topic);
      const config = { ...base, topics: { ...base.topics, audit: topic } };
      await ensureTopics(config, logger, [{ topic, partitions: 1, replicationFactor: -1 }]);
      const producer = createKafkajsClient(config, logger).producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `r${i}` })) });

      const group = `dockguard-test-group-${suffix}`;
      const seen: string[] = [];
      const assigned: TopicPartitions[] = [];
      const revoked: TopicPartitions[] = [];
      let failOnce = true;
      const first = new KafkaConsumer(config, group, logger);
      let handled!: () => void;
      const handledTwice = new Promise<void>((r) => (handled = r));
      await first.run({
        topics: [topic],
        onAssigned: (p) => void assigned.push(...p),
        onRevoked: (p) => void revoked.push(...p),
        eachBatch: async (records) => {
          seen.push(...records.map((r) => r.value!.toString()));
          if (failOnce) {
            failOnce = false;
            throw new Error('handler failure: this batch must come again');
          }
          handled();
        },
      });
      await handledTwice;
      await first.stop();
      // the failed batch came again, from its first record
      expect(seen.slice(0, 1)).toEqual(['r0']);
      expect(seen.filter((v) => v === 'r0')).toHaveLength(2);
      expect(assigned).toEqual([{ topic, partitions: [0] }]);
      expect(revoked).toEqual([{ topic, partitions: [0] }]);

      // everything handled was committed: a new member of the group starts after it
      await producer.send({ topic, messages: [{ key: 'k', value: 'r10' }] });
      await producer.disconnect();
      const second = new KafkaConsumer(config, group, logger);
      const later: string[] = [];
      let got!: () => void;
      const gotOne = new Promise<void>((r) => (got = r));
      await second.run({
        topics: [topic],
        eachBatch: async (records) => {
          later.push(...records.map((r) => r.value!.toString()));
          got();
        },
      });
      await gotOne;
      await second.stop();
      expect(later).toEqual(['r10']);
    });

    test('topic setup creates compacted changelogs and is idempotent', async () => {
      const spec = changelogTopic(
        { ...base, topics: { ...base.topics, changelogPrefix: `dockguard-test-state-${suffix}.` } },
        'correlations',
      );
      topics.push(spec.topic);
      const first = await ensureTopics(base, logger, [spec]);
      expect(first.created).toEqual([spec.topic]);
      const again = await ensureTopics(base, logger, [spec, { ...spec, partitions: spec.partitions + 2 }]);
      expect(again.created).toEqual([]);
      expect(again.underPartitioned).toEqual([
        { topic: spec.topic, partitions: spec.partitions, wanted: spec.partitions + 2 },
      ]);
      const admin = createKafkajsClient(base, logger).admin();
      await admin.connect();
      try {
        const d = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: 2, name: spec.topic, configNames: ['cleanup.policy'] }],
        });
        expect(d.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue).toBe(
          'compact',
        );
        const meta = await admin.fetchTopicMetadata({ topics: [spec.topic] });
        expect(meta.topics[0]?.partitions).toHaveLength(spec.partitions);
      } finally {
        await admin.disconnect();
      }
      expect(() => changelogTopic(base, 'bad/name')).toThrow(/not a valid topic name/);
    });
  },
);
