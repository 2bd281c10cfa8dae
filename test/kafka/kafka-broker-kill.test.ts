// Fault test: a collector publishes at a steady rate while its (private) Kafka
// broker is killed with SIGKILL, stays down 30 s, and comes back. Invariant,
// checked by reading the whole topic afterwards: every event id published is in
// Kafka. Duplicates are allowed and counted: a record the broker appended but
// whose acknowledgement the kill swallowed was also spooled and re-sent under a
// new producer session, which the broker cannot recognise as a retry. For the
// kafkajs producer, per client, first occurrences are also in publish order.
import * as fs from 'node:fs';
import { makeAuditEvents } from '../../bench/gen-audit-events';
import { ensureTopics } from '../../pipelines/adapters/kafka-admin';
import { AUDIT_SUBJECT, createKafkaAuditSink } from '../../pipelines/adapters/kafka-audit-sink';
import { AvroCodec } from '../../pipelines/codec/avro-codec';
import { clientKey } from '../../pipelines/collectors/client-key';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { privateKafkaSkipReason, startPrivateKafka, type PrivateKafka } from '../services/private-kafka';
import { consumeAll, logger, rdkafkaAvailable, tempSpool, testKafkaConfig, uniqueSuffix } from './kafka-test-kit';

const DOWN_MS = 30_000;
const RATE_PER_S = 200;
jest.setTimeout(600_000);

const skip = privateKafkaSkipReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

(skip ? describe.skip : describe)(
  skip ? `broker kill: ${skip}` : 'publishing through a broker kill (private broker)',
  () => {
    let kafka: PrivateKafka;
    beforeAll(async () => {
      kafka = await startPrivateKafka();
    });
    afterAll(async () => {
      await kafka?.destroy();
    });

    const clients = rdkafkaAvailable() ? (['kafkajs', 'rdkafka'] as const) : (['kafkajs'] as const);
    test.each(clients)(
      '%s: after SIGKILL, 30 s down and a restart, every published event is in Kafka',
      async (client) => {
        if (!kafka.running()) await kafka.start();
        const suffix = uniqueSuffix();
        const topic = `dockguard-test-kill-${client}-${suffix}`;
        const base = testKafkaConfig(kafka.brokers);
        const config = {
          ...base,
          client,
          topics: { ...base.topics, audit: topic },
          producer: { ...base.producer, sendTimeoutMs: 2000 },
        };
        await ensureTopics(config, logger, [{ topic, partitions: 3, replicationFactor: -1 }]);
        const spool = tempSpool({ fsync: 'interval' });
        const sink = await createKafkaAuditSink({ kafka: config, spool }, logger);

        const events = makeAuditEvents(40_000, { idPrefix: `${client}-${suffix}`, clients: 25 });
        const published: string[] = [];
        const failures: unknown[] = [];
        const pending = new Set<Promise<void>>();
        let next = 0;
        let publishing = true;
        let maxSpooled = 0;
        // steady rate: RATE_PER_S / 100 events every 10 ms, not awaiting each (a collector serves many calls at once)
        const publisher = (async () => {
          const t0 = Date.now();
          while (publishing && next < events.length) {
            const due = Math.floor(((Date.now() - t0) / 1000) * RATE_PER_S);
            while (next < due && next < events.length) {
              const e = events[next++]!;
              const p = sink
                .publish(e)
                .then(() => void published.push(e.event.id))
                .catch((err: unknown) => void failures.push(err))
                .finally(() => pending.delete(p));
              pending.add(p);
            }
            maxSpooled = Math.max(maxSpooled, sink.stats().spoolRecords);
            await sleep(10);
          }
        })();

        await sleep(5000);
        const beforeKill = next;
        await kafka.kill();
        await sleep(DOWN_MS);
        const duringOutage = next - beforeKill;
        const restartAt = Date.now();
        await kafka.start();
        const restartMs = Date.now() - restartAt;
        await sleep(5000);
        publishing = false;
        await publisher;
        await Promise.all([...pending]);
        // the spool drains once the broker answers again
        const deadline = Date.now() + 120_000;
        while (sink.stats().mode !== 'direct' && Date.now() < deadline) await sleep(100);
        const stats = sink.stats();
        await sink.close();
        fs.rmSync(spool.dir, { recursive: true, force: true });

        expect(failures).toEqual([]);
        expect(published).toHaveLength(next);
        expect(stats).toMatchObject({ mode: 'direct', spoolRecords: 0, lost: 0, refused: 0 });
        expect(stats.spooled).toBeGreaterThan(0); // the outage really went through the spool
        expect(duringOutage).toBeGreaterThan((RATE_PER_S * DOWN_MS) / 1000 / 2);

        const records = await consumeAll(config, topic, next, 120_000);
        const codec = new AvroCodec();
        const firstOffset = new Map<string, { partition: number; offset: bigint; key: string }>();
        let duplicates = 0;
        for (const r of records) {
          const e = codec.decode(AUDIT_SUBJECT, r.value!) as DockerApiEvent;
          const prev = firstOffset.get(e.event.id);
          if (prev) {
            duplicates++;
            if (BigInt(r.offset) > prev.offset || r.partition !== prev.partition) continue;
          }
          firstOffset.set(e.event.id, { partition: r.partition, offset: BigInt(r.offset), key: clientKey(e) });
        }
        const missing = published.filter((id) => !firstOffset.has(id));
        // The invariant: none missing.
        expect(missing).toEqual([]);
        expect(firstOffset.size).toBe(next);
        // Duplicates only come from the few seconds of records in flight when the broker died.
        expect(duplicates).toBeLessThanOrEqual(RATE_PER_S * (config.producer.sendTimeoutMs / 1000 + 5));

        let orderViolations = 0;
        const seq = (id: string): number => Number(id.slice(id.lastIndexOf('-') + 1));
        const lastSeq = new Map<string, number>();
        const byOffset = [...firstOffset].sort(
          (a, b) => a[1].partition - b[1].partition || Number(a[1].offset - b[1].offset),
        );
        for (const [id, { key }] of byOffset) {
          if ((lastSeq.get(key) ?? -1) > seq(id)) orderViolations++;
          lastSeq.set(key, Math.max(lastSeq.get(key) ?? -1, seq(id)));
        }
        // kafkajs fails a request and everything queued behind it together, so nothing overtakes;
        // librdkafka may deliver queued records after reporting earlier ones failed (see rdkafka-producer.ts)
        if (client === 'kafkajs') expect(orderViolations).toBe(0);
        process.stdout.write(
          `broker kill (${client}): published ${next} (${duringOutage} while down), spooled ${stats.spooled}, ` +
            `max spool ${maxSpooled}, drained ${stats.drained}, restart ${restartMs} ms, records ${records.length}, ` +
            `duplicates ${duplicates}, missing ${missing.length}, order violations ${orderViolations}\n`,
        );
      },
    );
  },
);
