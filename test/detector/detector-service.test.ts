// The detector service against the real Kafka: the seed's campaign yields the Sigma,
// first-seen and temporal_ordered findings; malformed records land in the dead-letter
// topic with a reason while every valid event is processed.
import { DockguardError } from '../../detectors/errors';
import { ensureTopics } from '../../pipelines/adapters/kafka-admin';
import {
  createRecordProducer,
  type ProducerRecord,
  type RecordProducer,
} from '../../pipelines/adapters/kafka-producer';
import { DetectorService } from '../../pipelines/detector/detector-service';
import { consumeAll, logger } from '../kafka/kafka-test-kit';
import { localServices, skipReason } from '../services/local-services';
import { benignCreate, seedCampaign } from './audit-stream';
import { createTopics, detectorTestConfig, expectOracleFindings, produceEvents } from './detector-kit';

const brokers = localServices().kafkaBrokers;
const describeKafka = brokers ? describe : describe.skip;

describeKafka(brokers ? 'detector service (Kafka)' : skipReason('KAFKA_BROKERS', 'kafka'), () => {
  jest.setTimeout(180_000);

  it('the seed campaign yields the Sigma, first-seen and pull→create→start findings, once each', async () => {
    const { kafka, detector } = detectorTestConfig(brokers!, 1);
    const t0 = Date.parse('2026-11-20T00:00:00Z');
    const events = [
      ...Array.from({ length: 26 }, (_, i) => benignCreate('10.0.4.12', t0 + i * 3_600_000, `learn-${i}`)),
      ...seedCampaign('203.0.113.7', t0 + 27 * 3_600_000, 'seed'),
    ];
    await createTopics(kafka, detector);
    await produceEvents(kafka, events);
    const service = new DetectorService({ kafka, detector, logger });
    await service.start();
    try {
      const got = await expectOracleFindings(kafka, detector, events.length);
      const names = got.map((f) => `${f.finding.kind}: ${f.rule.name}`);
      expect(names).toEqual(
        expect.arrayContaining([
          'sigma: Container Created With The Host Root Filesystem Mounted Writable',
          'sigma: Container Command Chroots Into A Mounted Host Path',
          'sigma: Download And Execute In A Container Or Exec Command',
          'baseline: Container Created By A Client Never Seen Before',
          'correlation: Image Pulled, Container Created And Started By One Client Within Minutes',
        ]),
      );
      const firstSeen = got.find((f) => f.finding.kind === 'baseline')!;
      expect(firstSeen.source.ip).toBe('203.0.113.7');
      expect(firstSeen.dockguard.baseline?.observed).toContain('203.0.113.7');
      const corr = got.find((f) => f.finding.kind === 'correlation')!;
      expect(corr.dockguard.event_ids).toEqual(['seed-pull', 'seed-create', 'seed-start']);
    } finally {
      await service.stop();
    }
  });

  it('a graceful stop checkpoints and commits; the next instance restores the state and replays nothing', async () => {
    // A checkpoint interval longer than the test: only the stop checkpoints.
    const { kafka, detector } = detectorTestConfig(brokers!, 1);
    detector.checkpointIntervalMs = 600_000;
    const t0 = Date.parse('2026-11-20T00:00:00Z');
    const first = Array.from({ length: 26 }, (_, i) => benignCreate('10.0.4.12', t0 + i * 3_600_000, `learn-${i}`));
    const second = seedCampaign('203.0.113.9', t0 + 27 * 3_600_000, 'late');
    await createTopics(kafka, detector);
    await produceEvents(kafka, first);
    const a = new DetectorService({ kafka, detector, logger });
    await a.start();
    try {
      while (a.stats.events < first.length) await new Promise((r) => setTimeout(r, 50));
      expect(a.stats.checkpoints).toBe(0);
    } finally {
      await a.stop();
    }
    expect(a.stats.checkpoints).toBe(1);
    // everything the first instance folded in is committed: the second starts at the end
    await produceEvents(kafka, second);
    const b = new DetectorService({ kafka, detector, logger });
    await b.start();
    try {
      // the oracle runs one pipeline over the whole stream: the second instance's
      // findings match it only if it continued from the first one's state (the
      // learning period is over, the endpoint knows its client)
      const got = await expectOracleFindings(kafka, detector, first.length + second.length);
      expect(got.map((f) => f.rule.name)).toContain('Container Created By A Client Never Seen Before');
      expect(b.stats.events).toBe(second.length);
      expect(b.stats.skippedReplayed).toBe(0);
    } finally {
      await b.stop();
    }
  });

  it('5,000 undecodable or oversized records all reach the dead-letter topic with a reason; valid events are all processed', async () => {
    const { kafka, detector } = detectorTestConfig(brokers!, 2);
    detector.maxEventBytes = 16 * 1024;
    const t0 = Date.parse('2026-11-20T00:00:00Z');
    const valid = [
      ...Array.from({ length: 26 }, (_, i) => benignCreate('10.0.4.12', t0 + i * 3_600_000, `learn-${i}`)),
      ...seedCampaign('203.0.113.7', t0 + 27 * 3_600_000, 'seed-a'),
      ...seedCampaign('203.0.113.8', t0 + 28 * 3_600_000, 'seed-b'),
    ];
    const bad = Array.from({ length: 5000 }, (_, i) => {
      const kind = i % 4;
      const value =
        kind === 0
          ? Buffer.from(`not avro ${i}`)
          : kind === 1
            ? Buffer.from([0, 0, 0, 0, 99, 1, 2, 3]) // unknown schema id
            : kind === 2
              ? Buffer.alloc(0)
              : Buffer.alloc(20 * 1024, 1); // oversized
      return { topic: kafka.topics.audit, key: `bad-${i % 7}`, value };
    });
    await createTopics(kafka, detector);
    await produceEvents(kafka, valid, bad);
    const service = new DetectorService({ kafka, detector, logger });
    await service.start();
    try {
      const dead = await consumeAll(kafka, kafka.topics.deadLetter, bad.length, 120_000);
      expect(dead).toHaveLength(bad.length);
      for (const d of dead) {
        expect(d.headers['dockguard.error.code']?.toString()).toBe('EVENT_INVALID');
        expect(d.headers['dockguard.error.reason']?.toString().length).toBeGreaterThan(0);
        expect(d.headers['dockguard.error.stage']?.toString()).toBe('detect');
        expect(d.headers['dockguard.source.topic']?.toString()).toBe(kafka.topics.audit);
        expect(Number(d.headers['dockguard.source.offset']?.toString())).toBeGreaterThanOrEqual(0);
      }
      await expectOracleFindings(kafka, detector, valid.length + bad.length);
      expect(service.stats.events).toBe(valid.length + bad.length);
    } finally {
      await service.stop();
    }
  });

  it('a record larger than the dead-letter topic takes is dead-lettered by its start, with where the whole is; its partition goes on', async () => {
    const { kafka, detector } = detectorTestConfig(brokers!, 1);
    // the audit topic takes records that the dead-letter topic (the broker's 1 MB default) refuses
    await ensureTopics(kafka, logger, [
      { topic: kafka.topics.audit, partitions: 1, replicationFactor: -1, config: { 'max.message.bytes': '4000000' } },
    ]);
    await createTopics(kafka, detector);
    const t0 = Date.parse('2026-11-20T00:00:00Z');
    const before = Array.from({ length: 26 }, (_, i) => benignCreate('10.0.4.12', t0 + i * 3_600_000, `learn-${i}`));
    const after = seedCampaign('203.0.113.7', t0 + 27 * 3_600_000, 'after-big');
    // under detector.maxEventBytes (4 MiB): it is decoded, fails, and goes to the dead letters
    const big = Buffer.alloc(1_500_000, 7);
    await produceEvents(kafka, before, [{ topic: kafka.topics.audit, key: 'big', value: big }]);
    await produceEvents(kafka, after);
    const service = new DetectorService({ kafka, detector, logger });
    await service.start();
    try {
      const [dead] = await consumeAll(kafka, kafka.topics.deadLetter, 1, 120_000);
      expect(dead?.headers['dockguard.error.code']?.toString()).toBe('EVENT_INVALID');
      expect(dead?.headers['dockguard.error.truncated']?.toString()).toBe('true');
      expect(dead?.headers['dockguard.source.bytes']?.toString()).toBe(String(big.length));
      expect(dead?.headers['dockguard.source.offset']?.toString()).toBe(String(before.length));
      expect(dead?.value?.equals(big.subarray(0, detector.deadLetterMaxBytes))).toBe(true);
      // every event after it is processed: the seed campaign's findings are there
      const got = await expectOracleFindings(kafka, detector, before.length + 1 + after.length);
      expect(got.map((f) => f.rule.name)).toContain('Container Created By A Client Never Seen Before');
      expect(service.stats.events).toBe(before.length + 1 + after.length);
    } finally {
      await service.stop();
    }
  });

  it('findings whose send fails are sent again before anything past them is committed: none lost', async () => {
    // small fetches: many batches, so sends of findings are in flight while later batches run
    const { kafka, detector } = detectorTestConfig(brokers!, 1);
    kafka.consumer.maxBytesPerPartition = 8 * 1024;
    const t0 = Date.parse('2026-11-20T00:00:00Z');
    const learn = Array.from({ length: 26 }, (_, i) => benignCreate('10.0.4.12', t0 + i * 3_600_000, `learn-${i}`));
    const campaigns = Array.from({ length: 20 }, (_, i) =>
      seedCampaign(`203.0.113.${20 + i}`, t0 + (27 + i) * 3_600_000, `s${i}`),
    );
    const events = [...learn, ...campaigns.flat()];
    await createTopics(kafka, detector);
    // one request (so one record batch, what a fetch returns at least) per campaign
    await produceEvents(kafka, learn);
    for (const c of campaigns) await produceEvents(kafka, c);
    // the 2nd, 3rd (the retry of the 2nd among them) and 5th sends of findings fail, as in a broker outage
    const real = createRecordProducer(kafka, logger);
    let findingSends = 0;
    let failed = 0;
    const flaky: RecordProducer = {
      send(records: ProducerRecord[]): Promise<void> {
        if (records.some((r) => r.topic === kafka.topics.findings) && [2, 3, 5].includes(++findingSends)) {
          failed++;
          return Promise.reject(
            new DockguardError({ stage: 'io', code: 'KAFKA_UNAVAILABLE', message: 'test: no broker', retriable: true }),
          );
        }
        return real.send(records);
      },
      close: () => real.close(),
    };
    const service = new DetectorService({ kafka, detector, logger, producer: flaky });
    await service.start();
    try {
      await expectOracleFindings(kafka, detector, events.length);
      expect(failed).toBe(3);
      // no event folded in twice (a batch that comes again after a failed send is skipped)
      expect(service.stats.events).toBe(events.length);
    } finally {
      await service.stop();
    }
    // everything was committed in the end: the next instance starts after the last event
    const late = benignCreate('10.0.4.12', t0 + 60 * 3_600_000, 'late');
    await produceEvents(kafka, [late]);
    const next = new DetectorService({ kafka, detector, logger });
    await next.start();
    try {
      while (next.stats.events + next.stats.skippedReplayed < 1) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      expect(next.stats).toMatchObject({ events: 1, skippedReplayed: 0 });
    } finally {
      await next.stop();
    }
  });
});
