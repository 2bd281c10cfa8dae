// The audit sink when Kafka is unreachable (a port nobody listens on): events go
// to the disk spool; a full spool refuses them (failClosed: accepting() false,
// SPOOL_FULL) or loses them counted (failOpen). Then a "restarted collector" on
// the same spool, with a torn last record as a crash leaves it, and a reachable
// broker (the shared one) sends every complete record, in order, once.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { makeAuditEvents } from '../../bench/gen-audit-events';
import { parseSegmentFileName } from '../../pipelines/adapters/disk-spool-format';
import { deleteTopics, ensureTopics } from '../../pipelines/adapters/kafka-admin';
import { AUDIT_SUBJECT, createKafkaAuditSink, type KafkaAuditSink } from '../../pipelines/adapters/kafka-audit-sink';
import { AvroCodec } from '../../pipelines/codec/avro-codec';
import { clientKey } from '../../pipelines/collectors/client-key';
import type { ErrorCode } from '../../detectors/errors';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { localServices, skipReason } from '../services/local-services';
import { consumeAll, logger, tempSpool, testKafkaConfig, uniqueSuffix } from './kafka-test-kit';

jest.setTimeout(180_000);

/** A port that refuses connections: bound, then released. */
async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const brokers = localServices().kafkaBrokers;
const suffix = uniqueSuffix();
const spoolDirs: string[] = [];

afterAll(() => {
  for (const d of spoolDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('audit sink with Kafka unreachable', () => {
  const restartTopic = `dockguard-test-spool-restart-${suffix}`;
  const unreachable = async (whenFull: 'failClosed' | 'failOpen', dropped?: Record<string, number>) => {
    const kafka = testKafkaConfig(`127.0.0.1:${await deadPort()}`, {
      producer: { ...testKafkaConfig('x:1').producer, sendTimeoutMs: 1000 },
      // spooled records keep their topic: the restarted collector sends them there
      topics: { ...testKafkaConfig('x:1').topics, audit: restartTopic },
    });
    const spool = tempSpool({ maxBytes: 65536, segmentBytes: 16384, whenFull });
    spoolDirs.push(spool.dir);
    const metrics = {
      eventsOut: () => undefined,
      spoolBytes: () => undefined,
      dropped: (reason: ErrorCode, n = 1) => void (dropped && (dropped[reason] = (dropped[reason] ?? 0) + n)),
    };
    const sink = await createKafkaAuditSink({ kafka, spool }, logger, { metrics });
    return { sink, spool, kafka };
  };

  test('failClosed: events are spooled until the spool is full, then publish rejects with SPOOL_FULL and accepting() is false', async () => {
    const { sink } = await unreachable('failClosed');
    const events = makeAuditEvents(300, { idPrefix: `closed-${suffix}` });
    const refused: string[] = [];
    expect(sink.accepting()).toBe(true);
    for (const e of events) {
      try {
        await sink.publish(e);
      } catch (err) {
        refused.push((err as { code?: string }).code ?? String(err));
      }
    }
    const stats = sink.stats();
    expect(stats.mode).toBe('spooling');
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(['SPOOL_FULL']));
    expect(sink.accepting()).toBe(false);
    expect(stats.spooled + stats.refused).toBe(events.length);
    expect(stats.refused).toBe(refused.length);
    expect(stats.lost).toBe(0);
    expect(stats.spoolBytes).toBeLessThanOrEqual(65536);
    await sink.close();
  });

  test('failOpen: every publish resolves, and each lost event is counted (metric dropped{SPOOL_FULL})', async () => {
    const dropped: Record<string, number> = {};
    const { sink } = await unreachable('failOpen', dropped);
    const events = makeAuditEvents(300, { idPrefix: `open-${suffix}` });
    for (const e of events) await sink.publish(e);
    const stats = sink.stats();
    expect(stats.lost).toBeGreaterThan(0);
    expect(stats.spooled + stats.lost).toBe(events.length);
    expect(dropped).toEqual({ SPOOL_FULL: stats.lost });
    expect(stats.refused).toBe(0);
    expect(sink.accepting()).toBe(true);
    await sink.close();
  });

  (brokers ? test : test.skip)(
    brokers
      ? 'a restarted collector sends every complete spooled record (torn last record dropped, counted), in order, once'
      : `restart drain ${skipReason('KAFKA_BROKERS', 'kafka')}`,
    async () => {
      const { sink, spool } = await unreachable('failClosed');
      const events = makeAuditEvents(100, { idPrefix: `restart-${suffix}`, clients: 7 });
      for (const e of events) await sink.publish(e);
      expect(sink.stats()).toMatchObject({ spooled: 100, refused: 0 });
      await sink.close();
      // the crash: the last frame of the newest segment is torn
      const segs = fs
        .readdirSync(spool.dir)
        .filter((n) => parseSegmentFileName(n) !== null)
        .sort();
      const last = path.join(spool.dir, segs.at(-1)!);
      fs.truncateSync(last, fs.statSync(last).size - 5);

      const topic = restartTopic;
      const kafka = testKafkaConfig(brokers!, { topics: { ...testKafkaConfig(brokers!).topics, audit: topic } });
      await ensureTopics(kafka, logger, [{ topic, partitions: 3, replicationFactor: -1 }]);
      let restarted: KafkaAuditSink | undefined;
      try {
        restarted = await createKafkaAuditSink({ kafka, spool }, logger);
        expect(restarted.stats().recovered).toMatchObject({ records: 99, dropped: 1 });
        const s = restarted;
        await waitFor('the spool to drain', () => s.stats().mode === 'direct');
        expect(s.stats()).toMatchObject({ drained: 99, spoolRecords: 0 });
        // a new event after the drain goes directly
        await s.publish(makeAuditEvents(1, { idPrefix: `after-${suffix}` })[0]!);
        expect(s.stats().sentDirect).toBe(1);
      } finally {
        await restarted?.close();
      }
      const codec = new AvroCodec();
      const records = await consumeAll(kafka, topic, 100);
      const got = records.map((r) => codec.decode(AUDIT_SUBJECT, r.value!) as DockerApiEvent);
      const ids = got.map((e) => e.event.id);
      expect(new Set(ids).size).toBe(ids.length); // once
      expect(ids.filter((id) => id.startsWith('restart-')).sort()).toEqual(
        events
          .slice(0, 99)
          .map((e) => e.event.id)
          .sort(),
      );
      // in order per client: offsets within a partition follow publish order
      const seq = (id: string): number => Number(id.slice(id.lastIndexOf('-') + 1));
      const byKey = new Map<string, number[]>();
      for (const r of [...records].sort((a, b) => Number(BigInt(a.offset) - BigInt(b.offset)))) {
        const e = codec.decode(AUDIT_SUBJECT, r.value!) as DockerApiEvent;
        if (!e.event.id.startsWith('restart-')) continue;
        const list = byKey.get(clientKey(e)) ?? [];
        list.push(seq(e.event.id));
        byKey.set(clientKey(e), list);
      }
      for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
      await deleteTopics(kafka, logger, [topic]);
    },
  );
});
