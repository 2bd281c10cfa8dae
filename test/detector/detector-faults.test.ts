// Fault tests of the detector service against the real Kafka, with the invariant of
// at-least-once processing and exact state recovery: after SIGKILLs and rebalances,
// the set of finding ids in the findings topic equals the oracle's (the pure pipeline
// run per partition in offset order) — none missing — and a correlation whose window
// spans a kill of every instance still fires.
//
// The detectors run as real processes (`bin/dockguard detect`, from dist/: the test
// command builds first).
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { createKafkajsClient } from '../../pipelines/adapters/kafkajs-client';
import type { KafkaConfig } from '../../pipelines/adapters/kafka-config';
import type { DetectorConfig } from '../../pipelines/detector/detector-config';
import { consumeAll, logger } from '../kafka/kafka-test-kit';
import { localServices, skipReason } from '../services/local-services';
import { generateStream, seedCampaign } from './audit-stream';
import { createTopics, decodeFindings, detectorTestConfig, oracleFindings, produceEvents } from './detector-kit';

const ROOT = path.resolve(__dirname, '../..');
const brokers = localServices().kafkaBrokers;
const built = fs.existsSync(path.join(ROOT, 'dist/pipelines/cli/main.js'));
const describeKafka = brokers && built ? describe : describe.skip;
const title = !brokers
  ? skipReason('KAFKA_BROKERS', 'kafka')
  : !built
    ? 'skipped: dist/ is missing (npm run build)'
    : 'detector service under faults (Kafka, real processes)';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Instances {
  private readonly procs = new Map<string, ChildProcess>();
  readonly logs = new Map<string, string>();
  constructor(private readonly configFile: string) {}

  start(name: string): void {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/dockguard'), 'detect', '--config', this.configFile], {
      cwd: ROOT,
      env: { ...process.env, DOCKGUARD_DETECTOR__INSTANCE_ID: name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (c: Buffer) => this.logs.set(name, ((this.logs.get(name) ?? '') + c.toString()).slice(-20_000));
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.procs.set(name, child);
  }

  async signal(name: string, sig: NodeJS.Signals): Promise<number | null> {
    const child = this.procs.get(name);
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(sig);
    const code = await exited;
    this.procs.delete(name);
    return code;
  }

  async stopAll(): Promise<void> {
    for (const name of [...this.procs.keys()]) await this.signal(name, 'SIGKILL');
  }
}

/** Committed offsets of the group vs the topic's end, summed over partitions. */
async function progress(kafka: KafkaConfig, groupId: string): Promise<{ committed: number; end: number }> {
  const admin = createKafkajsClient(kafka, logger, '-progress').admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(kafka.topics.audit);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [kafka.topics.audit] });
    const c = (committed?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    return { committed: c, end: ends.reduce((n, p) => n + Number(p.high), 0) };
  } finally {
    await admin.disconnect();
  }
}

async function waitFor(
  kafka: KafkaConfig,
  groupId: string,
  pred: (p: { committed: number; end: number }) => boolean,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await progress(kafka, groupId);
    if (pred(p)) return;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for the detectors: committed ${p.committed} of ${p.end}`);
    await sleep(500);
  }
}

function writeConfig(kafka: KafkaConfig, detector: DetectorConfig): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-detector-faults-'));
  const file = path.join(dir, 'dockguard.yml');
  fs.writeFileSync(
    file,
    yaml.dump({
      kafka: {
        brokers: kafka.brokers,
        clientId: 'dockguard-fault-test',
        topics: kafka.topics,
        topicDefaults: kafka.topicDefaults,
        consumer: { ...kafka.consumer, sessionTimeoutMs: 8000, heartbeatIntervalMs: 1000, fromBeginning: true },
        producer: { ...kafka.producer, sendTimeoutMs: 30000 },
      },
      detector: { groupId: detector.groupId, watch: false },
      ops: { host: '127.0.0.1', port: 0 },
      log: { level: 'warn' },
    }),
  );
  return file;
}

describeKafka(title, () => {
  jest.setTimeout(900_000);

  it('SIGKILLs and 2→3→1 rebalances lose no finding, and a correlation spanning a kill of every instance still fires', async () => {
    const { kafka, detector } = detectorTestConfig(brokers!, 4);
    await createTopics(kafka, detector);
    const instances = new Instances(writeConfig(kafka, detector));
    const stream = generateStream(50_000, 7);
    const half = stream.length / 2;
    // the spanning campaign: pull and create before the kill, start after it
    const lastTime = (stream[stream.length - 1]!.timestamp as number) + 1000;
    const spanning = seedCampaign('198.51.100.77', (stream[half]!.timestamp as number) + 100, 'spanning');
    const extra = generateStream(10_000, 8).map((e, i) => ({
      ...e,
      timestamp: lastTime + i * 500,
      event: { ...e.event, id: `extra-${i}` },
    }));
    try {
      instances.start('a');
      instances.start('b');
      // phase 1: half the stream and the campaign's first two calls, fully processed, then every instance killed
      await produceEvents(kafka, [...stream.slice(0, half), spanning[0]!, spanning[1]!]);
      await waitFor(kafka, detector.groupId, (p) => p.committed === p.end, 300_000);
      await instances.signal('a', 'SIGKILL');
      await instances.signal('b', 'SIGKILL');
      // phase 2: restart; the campaign's start and the rest, with one instance killed twice mid-stream
      instances.start('a');
      instances.start('b');
      await produceEvents(kafka, [spanning[2]!, ...stream.slice(half)]);
      for (const share of [0.4, 0.7]) {
        const { end } = await progress(kafka, detector.groupId);
        const target = Math.floor(half + 2 + (end - half - 2) * share);
        await waitFor(kafka, detector.groupId, (p) => p.committed >= target, 300_000);
        await instances.signal('a', 'SIGKILL');
        instances.start('a');
      }
      await waitFor(kafka, detector.groupId, (p) => p.committed === p.end, 300_000);
      // phase 3: 2 → 3 → 1 instances under load
      instances.start('c');
      const feeding = produceEvents(kafka, extra);
      await sleep(3000);
      await feeding;
      const { end } = await progress(kafka, detector.groupId);
      await waitFor(kafka, detector.groupId, (p) => p.committed >= end - extra.length / 2, 300_000);
      expect(await instances.signal('a', 'SIGTERM')).toBe(0);
      expect(await instances.signal('b', 'SIGTERM')).toBe(0);
      await waitFor(kafka, detector.groupId, (p) => p.committed === p.end, 300_000);

      const audit = await consumeAll(
        kafka,
        kafka.topics.audit,
        stream.length + extra.length + spanning.length,
        120_000,
      );
      expect(audit).toHaveLength(stream.length + extra.length + spanning.length);
      const oracle = oracleFindings(detector, audit);
      const oracleIds = new Set(oracle.map((f) => f.finding.id));
      const got = decodeFindings(await consumeAll(kafka, kafka.topics.findings, oracle.length, 180_000));
      const gotIds = new Set(got.map((f) => f.finding.id));
      const missing = [...oracleIds].filter((id) => !gotIds.has(id));
      const unexpected = [...gotIds].filter((id) => !oracleIds.has(id));
      const describeIds = (ids: string[], from: typeof oracle) =>
        ids.slice(0, 10).map((id) => {
          const f = from.find((x) => x.finding.id === id)!;
          return `${f.finding.kind} ${f.rule.name} ${f.dockguard.client_key} ${f.dockguard.event_ids.join(',')}`;
        });
      expect({ missing: describeIds(missing, oracle), unexpected: describeIds(unexpected, got) }).toEqual({
        missing: [],
        unexpected: [],
      });
      const spanned = got.find(
        (f) => f.finding.kind === 'correlation' && f.dockguard.event_ids.includes('spanning-start'),
      );
      expect(spanned?.dockguard.event_ids).toEqual(['spanning-pull', 'spanning-create', 'spanning-start']);
      // at least once: duplicates are allowed (the sink de-duplicates by id), but bounded by the replays
      expect(got.length).toBeGreaterThanOrEqual(oracle.length);
    } catch (e) {
      for (const [name, log] of instances.logs)
        process.stderr.write(`--- detector ${name} (tail)\n${log.slice(-3000)}\n`);
      throw e;
    } finally {
      await instances.stopAll();
    }
  });
});
