/**
 * `npm run bench -- detector`: throughput of the whole detector (Sigma rules and
 * correlations, baselines, threat intel, findings) on one core, in two parts.
 *
 * (a) In process: CPU µs per event of DetectorPipeline.process on audit events
 *     (test/detector/audit-stream.ts, as the collectors build them), each
 *     Avro-decoded just before it is processed, as in the service, with 100 rules
 *     (the pack's rules and correlations plus generated variants from
 *     bench/gen-docker-rules.ts) and the pack's baselines and indicators; the same
 *     without baselines, and decoding only (the three alternate run by run; costs
 *     are medians of paired differences); then each detector alone (on events
 *     decoded once) and the pipeline with nothing loaded. The pipeline is stateful
 *     (watermark, windows, baseline keys), so every pass runs a fresh pipeline over
 *     the stream in order rather than wrapping around a pool.
 * (b) Over the real Kafka (KAFKA_BROKERS, unique topics deleted afterwards): N
 *     Avro audit events are produced, then timed from the first batch to the last
 *     event: a consumer that only decodes (the ceiling), and the DetectorService
 *     (consume → decode → pipeline → findings and changelog produced and acked);
 *     one uncounted warm-up run of each first.
 *     Bar (issue 4): the detector reaches at least half the decode-only rate.
 *
 * The process re-executes itself under `taskset -c 1` when available, so both
 * parts run on one core. Options: --events N (default 30000), --runs R (default 5),
 * --kafka-events N (default 50000), --no-kafka.
 */
import '../pipelines/runtime/v8-flags';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import pino from 'pino';
import { BaselineEngine } from '../detectors/baselines/baseline-engine';
import { BaselineStore } from '../detectors/baselines/baseline-state';
import { DetectorPipeline, type DetectorSets } from '../detectors/detector-pipeline';
import { IndicatorSet } from '../detectors/intel/indicator-set';
import { matchIntel } from '../detectors/intel/intel-matcher';
import { compileRules } from '../detectors/sigma/compile-engine';
import { DEFAULT_TIMESTAMP_FIELDS, eventTime } from '../detectors/sigma/event-time';
import { loadRules } from '../detectors/sigma/loader';
import { clientKey } from '../detectors/findings/client-key';
import { changelogTopic, deleteTopics, ensureTopics, pipelineTopics } from '../pipelines/adapters/kafka-admin';
import { kafkaDefaults, type KafkaConfig } from '../pipelines/adapters/kafka-config';
import { KafkaConsumer } from '../pipelines/adapters/kafka-consumer';
import { createRecordProducer, type ProducerRecord } from '../pipelines/adapters/kafka-producer';
import { createKafkajsClient } from '../pipelines/adapters/kafkajs-client';
import { AvroCodec } from '../pipelines/codec/avro-codec';
import { loadConfig } from '../pipelines/config/config';
import { changelogStore, readDetectorConfig, type DetectorConfig } from '../pipelines/detector/detector-config';
import { AUDIT_SUBJECT, DetectorService } from '../pipelines/detector/detector-service';
import { loadDetectorSets, type LoadedSets } from '../pipelines/detector/detector-sets';
import type { DockerApiEvent } from '../schemas/generated/docker-api-event';
import { generateStream } from '../test/detector/audit-stream';
import { dockerRules } from './gen-docker-rules';
import { environment, fmtInt } from './harness';

/** The checkout (or installation) whose sigma-rules/ the bench loads: found above the compiled script. */
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'sigma-rules', 'docker'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

const ROOT = findRoot();
const RULES = 100;
const log = pino({ level: process.env['DOCKGUARD_BENCH_LOG'] ?? 'silent' });

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return def;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} needs a positive number`);
  return n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function cpuUs(c: NodeJS.CpuUsage): number {
  return c.user + c.system;
}

/** Re-runs this script pinned to core 1 (once); returns true when the child did the work. */
function pinned(): boolean {
  if (process.env['DOCKGUARD_BENCH_PINNED'] || os.cpus().length < 2) return false;
  const probe = spawnSync('taskset', ['-c', '1', 'true']);
  if (probe.status !== 0) return false;
  const r = spawnSync(
    'taskset',
    ['-c', '1', process.execPath, ...process.execArgv, __filename, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, DOCKGUARD_BENCH_PINNED: '1' },
    },
  );
  process.exitCode = r.status ?? 1;
  return true;
}

/**
 * The detector configuration of the bench: the pack's rules plus generated variants
 * (written to a temporary directory) up to 100, the pack's baselines and indicators.
 */
function benchSets(): { detector: DetectorConfig; loaded: LoadedSets; dir: string } {
  const pack = path.join(ROOT, 'sigma-rules', 'docker');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-detector-bench-'));
  const base = readDetectorConfig(loadConfig(null, {}));
  const detector: DetectorConfig = {
    ...base,
    rules: [pack, dir],
    baselines: [path.join(ROOT, 'sigma-rules', 'baselines')],
    intel: [path.join(ROOT, 'sigma-rules', 'intel')],
    watch: false,
  };
  const packOnly = loadDetectorSets({ ...detector, rules: [pack] });
  const have = packOnly.counts.rules + packOnly.counts.correlations;
  for (const r of dockerRules(RULES).slice(0, Math.max(0, RULES - have)))
    fs.writeFileSync(path.join(dir, path.basename(r.file)), r.text);
  const loaded = loadDetectorSets(detector);
  if (!loaded.sets) throw new Error(loaded.problems.map((p) => p.format()).join('\n'));
  return { detector, loaded, dir };
}

interface PassResult {
  cpuUsPerEvent: number;
  findings: number;
}

/**
 * One pass of a fresh pipeline over the stream, in order (partition 0), each record
 * Avro-decoded just before the pipeline sees it, as the service does: fresh
 * strings and objects every pass (events decoded once and reused would carry their
 * strings' hashes from the pass before, which flatters every lookup). Without
 * `sets`, the pass only decodes: the cost the pipeline's figure is taken from.
 */
function pass(sets: DetectorSets | null, records: readonly Buffer[], codec: AvroCodec): PassResult {
  const pipeline = sets ? new DetectorPipeline(sets) : null;
  let findings = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < records.length; i++) {
    const event = codec.decode(AUDIT_SUBJECT, records[i] as Buffer);
    if (!pipeline) {
      if ((event as { event?: unknown }).event === undefined) throw new Error('decode-only: no event');
      continue;
    }
    const r = pipeline.process(event, { partition: 0, offset: i });
    findings += r.findings.length;
    if (r.failures.length > 0) throw r.failures[0];
  }
  if (pipeline) findings += pipeline.flush().length;
  return { cpuUsPerEvent: cpuUs(process.cpuUsage(c0)) / records.length, findings };
}

/** Part (a) on `n` events of the stream, which are garbage once it returns (part (b) runs without them). */
function inProcessStream(sets: DetectorSets, n: number, runs: number): void {
  const codec = new AvroCodec();
  const records = generateStream(n).map((e) => codec.encode(AUDIT_SUBJECT, e));
  // the components below run on events decoded once (their Avro classes, not object literals)
  const decoded = records.map((r) => codec.decode(AUDIT_SUBJECT, r));
  inProcess(sets, records, decoded, codec, runs);
}

function inProcess(
  sets: DetectorSets,
  records: readonly Buffer[],
  decoded: readonly unknown[],
  codec: AvroCodec,
  runs: number,
): void {
  const variants: Array<[string, DetectorSets | null]> = [
    ['rules + correlations + baselines + intel', sets],
    ['without baselines', { ...sets, baselines: [] }],
    ['Avro decode only', null],
  ];
  process.stdout.write(
    `\n(a) DetectorPipeline in process, ${fmtInt(records.length)} events, each Avro-decoded just before it is processed\n`,
  );
  for (const [, s] of variants) pass(s, records, codec); // warm-up: the JIT sees this kind of event and these rules
  // the variants alternate run by run, so a burst of load from other processes hits them alike;
  // costs are medians of paired differences, not differences of two medians
  const us: number[][] = variants.map(() => []);
  const findings: number[] = variants.map(() => 0);
  for (let r = 0; r < runs; r++)
    variants.forEach(([, s], v) => {
      global.gc?.();
      const p = pass(s, records, codec);
      (us[v] as number[]).push(p.cpuUsPerEvent);
      findings[v] = p.findings;
    });
  variants.forEach(([label, s], v) => {
    const xs = us[v] as number[];
    const m = median(xs);
    process.stdout.write(
      `  ${label.padEnd(42)} ${m.toFixed(2).padStart(7)} µs/event CPU  ${fmtInt(1e6 / m).padStart(8)} events/s` +
        `  (runs: ${xs.map((u) => u.toFixed(1)).join(' ')}${s ? `; ${fmtInt(findings[v] as number)} findings a pass` : ''})\n`,
    );
  });
  const [all, noBase, decode] = us as [number[], number[], number[]];
  const paired = (a: number[], b: number[]): number[] => a.map((u, i) => u - (b[i] as number));
  const line = (what: string, d: number[]): string =>
    `  ${what} ${median(d).toFixed(2)} µs/event (median of ${runs} paired differences: ${d.map((x) => x.toFixed(1)).join(' ')})\n`;
  process.stdout.write(line('the pipeline, decode taken off:', paired(all, decode)));
  process.stdout.write(line('baselines cost, their findings included:', paired(all, noBase)));
  process.stdout.write(`  each alone, on events decoded once (hashed strings: a lower bound of its share):\n`);
  components(sets, decoded, runs);
  const memo = sets.rules.ruleSet.memoStats();
  if (memo) {
    const looked = memo.hits + memo.misses;
    process.stdout.write(
      `    Sigma result memo (walk-memo.ts): ${fmtInt(memo.hits)} of ${fmtInt(looked)} lookups answered, ` +
        `${fmtInt(memo.misses)} evaluated, ${fmtInt(memo.paused)} while resting (the stream repeats as Docker API traffic does)\n`,
    );
  }
}

/** CPU µs per event of one detector alone, median of `runs` passes (after one warm-up pass). */
function alone(events: readonly unknown[], runs: number, fresh: () => (e: unknown, i: number) => number): number {
  const us: number[] = [];
  let sink = 0;
  for (let r = 0; r <= runs; r++) {
    const f = fresh();
    global.gc?.();
    const c0 = process.cpuUsage();
    for (let i = 0; i < events.length; i++) sink += f(events[i], i);
    if (r > 0) us.push(cpuUs(process.cpuUsage(c0)) / events.length);
  }
  if (sink < 0) throw new Error('unreachable');
  return median(us);
}

/**
 * Each detector alone on the same events: where the time goes, less noisy than
 * differences of whole runs. Alone means without the pipeline around it (event
 * time, ids, findings built from deviations and hits) and without the Sigma
 * engine's allocations and cache footprint between two of its calls: a lower bound
 * of its share of the full pipeline, measured on a machine as loaded as the runs above.
 */
function components(sets: DetectorSets, events: readonly unknown[], runs: number): void {
  const times = events.map((e) => eventTime(e, DEFAULT_TIMESTAMP_FIELDS) ?? 0);
  const rows: Array<[string, number]> = [
    [
      'Sigma detection rules only (rule set)',
      alone(events, runs, () => {
        const rs = sets.rules.ruleSet;
        return (e) => rs.matchIndexes(e).length;
      }),
    ],
    [
      `baselines only (${sets.baselines.length})`,
      alone(events, runs, () => {
        const engine = new BaselineEngine(sets.baselines, sets.geo);
        const store = new BaselineStore();
        return (e, i) => engine.evaluate(e, times[i] as number, store).length;
      }),
    ],
    [
      `threat intel only (${sets.intel.size} indicators)`,
      alone(events, runs, () => (e) => matchIntel(e, sets.intel).length),
    ],
    [
      // event time, event id, watermark, result: what every event costs before any detector
      'pipeline with nothing loaded',
      alone(events, runs, () => {
        const pipeline = new DetectorPipeline({
          ...sets,
          rules: compileRules(loadRules([])),
          baselines: [],
          intel: new IndicatorSet(),
        });
        return (e, i) => pipeline.process(e, { partition: 0, offset: i }).findings.length;
      }),
    ],
  ];
  for (const [label, us] of rows)
    process.stdout.write(`    ${label.padEnd(40)} ${us.toFixed(2).padStart(7)} µs/event CPU (alone)\n`);
}

// ---------------------------------------------------------------- (b) over Kafka

function kafkaConfig(brokers: string, suffix: string): KafkaConfig {
  const base = kafkaDefaults();
  return kafkaDefaults({
    brokers: brokers.split(','),
    clientId: `dockguard-bench-${suffix}`,
    topics: {
      ...base.topics,
      audit: `bench-audit-${suffix}`,
      findings: `bench-findings-${suffix}`,
      deadLetter: `bench-dead-letter-${suffix}`,
      changelogPrefix: `bench-state-${suffix}.`,
    },
    topicDefaults: { partitions: 1, replicationFactor: -1 },
    producer: { ...base.producer, sendTimeoutMs: 60_000 },
    consumer: { ...base.consumer, fromBeginning: true, sessionTimeoutMs: 30_000, heartbeatIntervalMs: 3000 },
  });
}

interface KafkaRun {
  eps: number;
  cpuUsPerEvent: number;
}

/** Decode-only consumer: timed from the first batch to the N-th decoded event. */
async function decodeOnly(kafka: KafkaConfig, n: number, codec: AvroCodec): Promise<KafkaRun> {
  const consumer = new KafkaConsumer(kafka, `bench-decode-${Date.now().toString(36)}`, log);
  let count = 0;
  let ok = 0;
  let t0 = 0;
  let c0: NodeJS.CpuUsage | undefined;
  let resolve!: (r: KafkaRun) => void;
  const done = new Promise<KafkaRun>((r) => (resolve = r));
  await consumer.run({
    topics: [kafka.topics.audit],
    eachBatch: async (records) => {
      if (!c0) {
        c0 = process.cpuUsage();
        t0 = performance.now();
      }
      for (const r of records) {
        if (r.value && (codec.decode(AUDIT_SUBJECT, r.value) as { event?: unknown }).event !== undefined) ok++;
        count++;
      }
      if (count >= n) {
        const secs = (performance.now() - t0) / 1000;
        resolve({ eps: count / secs, cpuUsPerEvent: cpuUs(process.cpuUsage(c0)) / count });
      }
    },
  });
  const r = await done;
  await consumer.stop();
  if (ok !== n) throw new Error(`decode-only: ${ok} of ${n} events decoded`);
  return r;
}

async function topicTotal(kafka: KafkaConfig, topic: string): Promise<number> {
  const admin = createKafkajsClient(kafka, log, '-bench-admin').admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** The DetectorService: timed from its first event to the last finding acked on the findings topic. */
async function detectorService(
  kafka: KafkaConfig,
  detector: DetectorConfig,
  loaded: LoadedSets,
  n: number,
): Promise<KafkaRun & { findings: number; checkpoints: number; changelogRecords: number }> {
  const service = new DetectorService({
    kafka,
    detector,
    logger: log,
    initialSets: loaded,
  });
  await service.start();
  try {
    // polling costs a little CPU and a few ms of resolution against seconds of work
    while (service.stats.events === 0) await sleep(2);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    while (service.stats.events < n) await sleep(5);
    // the last batch's findings are acked before its offsets commit; wait for them on the topic
    const findings = service.stats.findings;
    while ((await topicTotal(kafka, kafka.topics.findings)) < findings) await sleep(20);
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuUs(process.cpuUsage(c0));
    if (service.stats.deadLetters > 0) throw new Error(`${service.stats.deadLetters} events dead-lettered`);
    const { checkpoints, changelogRecords } = service.stats;
    return { eps: n / secs, cpuUsPerEvent: cpu / n, findings, checkpoints, changelogRecords };
  } finally {
    await service.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Produces the stream's events to the audit topic; nothing of them stays referenced afterwards. */
async function produceStream(kafka: KafkaConfig, codec: AvroCodec, events: DockerApiEvent[]): Promise<void> {
  const producer = createRecordProducer(kafka, log);
  try {
    const records: ProducerRecord[] = events.map((e) => ({
      topic: kafka.topics.audit,
      key: clientKey(e),
      value: codec.encode(AUDIT_SUBJECT, e),
    }));
    // the producer keeps each request under the broker's message.max.bytes (producer.maxRequestBytes)
    await producer.send(records);
  } finally {
    await producer.close();
  }
}

async function overKafka(
  brokers: string,
  detector: DetectorConfig,
  loaded: LoadedSets,
  n: number,
  runs: number,
): Promise<void> {
  const codec = new AvroCodec();
  const suffix = `${Date.now().toString(36)}-${process.pid}`;
  const kafka = kafkaConfig(brokers, suffix);
  const topics = [...pipelineTopics(kafka), changelogTopic(kafka, changelogStore(detector))];
  process.stdout.write(`\n(b) over Kafka (${brokers}), ${fmtInt(n)} audit events on one partition\n`);
  await ensureTopics(kafka, log, topics);
  try {
    await produceStream(kafka, codec, generateStream(n, 2));
    // the heap the services run in holds their own objects only, as in a deployment:
    // the produced events are garbage and are collected before the first run
    global.gc?.();
    const dec: KafkaRun[] = [];
    const det: KafkaRun[] = [];
    // Run 0 warms both sides up and is not counted: the first pass of each runs partly in
    // V8's baseline tiers, which flatters whichever side is cheaper per event (decode-only
    // doubled its rate from its first run to its third). Then the runs interleave, so a
    // burst of load from other processes hits both sides alike.
    for (let r = 0; r <= runs; r++) {
      const d0 = await decodeOnly(kafka, n, codec);
      // each run its own group and changelog: a restored state would skip every event as already done
      const store = `bench-${r}`;
      topics.push(changelogTopic(kafka, store));
      const runDetector = { ...detector, stateStore: store, groupId: `bench-detector-${suffix}-${r}` };
      const d = await detectorService(kafka, runDetector, loaded, n);
      const label = r === 0 ? 'warm-up' : `run ${r}`;
      process.stdout.write(
        `  ${label}: decode-only ${fmtInt(d0.eps)}/s, detector ${fmtInt(d.eps)}/s (${fmtInt(d.findings)} findings; ` +
          `${fmtInt(d.changelogRecords)} changelog records in ${fmtInt(d.checkpoints)} checkpoints)\n`,
      );
      if (r === 0) continue;
      dec.push(d0);
      det.push(d);
    }
    const de = median(dec.map((x) => x.eps));
    const dt = median(det.map((x) => x.eps));
    const row = (label: string, xs: KafkaRun[], eps: number): string =>
      `  ${label.padEnd(54)} ${fmtInt(eps).padStart(8)} events/s  ${median(xs.map((x) => x.cpuUsPerEvent))
        .toFixed(1)
        .padStart(6)} µs/event CPU\n`;
    process.stdout.write(row('consume + Avro decode only', dec, de));
    process.stdout.write(row(`DetectorService (${RULES} rules, baselines, intel → findings)`, det, dt));
    const ratio = dt / de;
    process.stdout.write(
      `  detector / decode-only = ${ratio.toFixed(2)} (bar ≥ 0.50: ${ratio >= 0.5 ? 'MET' : 'MISSED'}); medians of ${runs}\n`,
    );
  } finally {
    await deleteTopics(
      kafka,
      log,
      topics.map((t) => t.topic),
    ).catch((e: Error) => process.stderr.write(`could not delete the bench topics: ${e.message}\n`));
  }
}

async function main(): Promise<void> {
  if (pinned()) return;
  const n = arg('events', 30_000);
  const runs = arg('runs', 5);
  const kn = arg('kafka-events', 50_000);
  for (const l of environment()) process.stdout.write(`${l}\n`);
  process.stdout.write(
    `load average: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; pinned: ${process.env['DOCKGUARD_BENCH_PINNED'] ? 'core 1' : 'no'}\n`,
  );
  const { detector, loaded, dir } = benchSets();
  try {
    const c = loaded.counts;
    process.stdout.write(
      `sets: ${c.rules} detection rules + ${c.correlations} correlations, ${c.baselines} baselines, ${c.indicators} indicators\n`,
    );
    inProcessStream(loaded.sets!, n, runs);
    const brokers = process.env['KAFKA_BROKERS'];
    if (process.argv.includes('--no-kafka')) return;
    if (!brokers) {
      process.stdout.write('\n(b) skipped: KAFKA_BROKERS is unset (deploy/local/services.sh env)\n');
      return;
    }
    await overKafka(brokers, detector, loaded, kn, Math.min(runs, 3));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
