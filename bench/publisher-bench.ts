/**
 * Publisher throughput: events/s the KafkaAuditSink sustains (Avro encode, key,
 * produce, wait for the acknowledgement of all in-sync replicas) with the kafkajs
 * and the node-rdkafka producer, side by side, against the broker in
 * KAFKA_BROKERS (default the shared local one, 127.0.0.1:19092).
 *
 * Run through `npm run bench -- publisher [options]` (bench/run.js builds first).
 * Each client runs in its own child process pinned to one core with
 * `taskset -c 0` when taskset exists (librdkafka's threads included), so the
 * number is what one core of a collector can publish.
 *
 * Options:
 *   --events N        events per timed run (default 50000)
 *   --runs N          timed runs per client; the median is reported (default 3)
 *   --clients a,b     default kafkajs,rdkafka (rdkafka is skipped if node-rdkafka is missing)
 *   --window N        publishes outstanding at once, as concurrent API calls would be (default 1000:
 *                     already far more than a Docker host makes; at 20000 the run measures mostly
 *                     the cost of 20,000 pending promises, ~10% fewer events/s)
 *
 * For a number about the publisher alone, keep the broker off the publisher's core:
 *   taskset -a -p -c 1 <broker pid>
 *   --batch N --linger MS --compression none|gzip|lz4|snappy|zstd   producer settings
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import pino from 'pino';
import { deleteTopics, ensureTopics } from '../pipelines/adapters/kafka-admin';
import { createKafkaAuditSink } from '../pipelines/adapters/kafka-audit-sink';
import { kafkaDefaults, spoolDefaults, type Compression, type KafkaClient } from '../pipelines/adapters/kafka-config';
import { AvroCodec } from '../pipelines/codec/avro-codec';
import { makeAuditEvents } from './gen-audit-events';

interface Opts {
  events: number;
  runs: number;
  clients: KafkaClient[];
  window: number;
  batch: number;
  linger: number;
  compression: Compression;
  child: KafkaClient | null;
}

function parse(argv: string[]): Opts {
  const o: Opts = {
    events: 50_000,
    runs: 3,
    clients: ['kafkajs', 'rdkafka'],
    window: 1000,
    batch: 2000,
    linger: 5,
    compression: 'none',
    child: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--events') o.events = Number(v());
    else if (a === '--runs') o.runs = Number(v());
    else if (a === '--clients') o.clients = v().split(',') as KafkaClient[];
    else if (a === '--window') o.window = Number(v());
    else if (a === '--batch') o.batch = Number(v());
    else if (a === '--linger') o.linger = Number(v());
    else if (a === '--compression') o.compression = v() as Compression;
    else if (a === '--child') o.child = v() as KafkaClient;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** One client, in this process: prints one JSON line with the results. */
async function runClient(o: Opts, client: KafkaClient): Promise<void> {
  const logger = pino({ level: 'warn' });
  const brokers = (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:19092').split(',');
  const topic = `dockguard-bench-publisher-${client}-${Date.now().toString(36)}`;
  const base = kafkaDefaults();
  const kafka = kafkaDefaults({
    brokers,
    client,
    clientId: `dockguard-bench-${client}`,
    topics: { ...base.topics, audit: topic },
    producer: { ...base.producer, batchSize: o.batch, lingerMs: o.linger, compression: o.compression },
  });
  await ensureTopics(kafka, logger, [{ topic, partitions: 6, replicationFactor: -1 }]);
  const spool = spoolDefaults({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-bench-spool-')) });
  const codec = new AvroCodec();
  const events = makeAuditEvents(o.events, { idPrefix: `bench-${client}`, clients: 200 });
  const jsonBytes = events.slice(0, 1000).reduce((n, e) => n + JSON.stringify(e).length, 0) / 1000;
  const avroBytes =
    events.slice(0, 1000).reduce((n, e) => n + codec.encode('dockguard.docker-api-event', e).length, 0) / 1000;
  const sink = await createKafkaAuditSink({ kafka, spool }, logger, { codec });
  try {
    const publishAll = async (n: number): Promise<void> => {
      let i = 0;
      const lane = async (): Promise<void> => {
        while (i < n) await sink.publish(events[i++]!);
      };
      await Promise.all(Array.from({ length: Math.min(o.window, n) }, lane));
    };
    await publishAll(Math.min(o.events, 10_000)); // warm-up: JIT, connections, metadata
    const eps: number[] = [];
    const cpu: number[] = [];
    for (let r = 0; r < o.runs; r++) {
      (globalThis as { gc?: () => void }).gc?.();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await publishAll(o.events);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const c = process.cpuUsage(c0);
      eps.push(o.events / s);
      cpu.push((c.user + c.system) / 1e6 / s);
    }
    const stats = sink.stats();
    if (stats.spooled > 0 || stats.lost > 0)
      throw new Error(`the spool was used during the bench: ${JSON.stringify(stats)}`);
    // encode alone, for the ceiling
    const e0 = process.cpuUsage();
    for (const e of events) codec.encode('dockguard.docker-api-event', e);
    const ec = process.cpuUsage(e0);
    const encodeEps = events.length / ((ec.user + ec.system) / 1e6);
    process.stdout.write(
      `${JSON.stringify({ client, eps, cpu, median: median(eps), encodeEps, jsonBytes, avroBytes })}\n`,
    );
  } finally {
    await sink.close();
    await deleteTopics(kafka, logger, [topic]).catch(() => undefined);
    fs.rmSync(spool.dir, { recursive: true, force: true });
  }
}

function main(): void {
  const o = parse(process.argv.slice(2));
  if (o.child) {
    runClient(o, o.child).catch((e: unknown) => {
      process.stderr.write(`${String((e as Error).stack ?? e)}\n`);
      process.exit(1);
    });
    return;
  }
  const pin = spawnSync('taskset', ['--version']).status === 0;
  process.stdout.write(
    `publisher bench: ${o.events} events × ${o.runs} runs per client, window ${o.window}, batch ${o.batch}, ` +
      `linger ${o.linger} ms, compression ${o.compression}, ${pin ? 'pinned to core 0 (taskset -c 0)' : 'not pinned (no taskset)'}\n`,
  );
  const rows: string[] = [];
  for (const client of o.clients) {
    const args = ['--expose-gc', __filename, ...process.argv.slice(2), '--child', client];
    const r = pin
      ? spawnSync('taskset', ['-c', '0', process.execPath, ...args], { encoding: 'utf8' })
      : spawnSync(process.execPath, args, { encoding: 'utf8' });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) {
      rows.push(`| ${client} | failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')} |`);
      continue;
    }
    const res = JSON.parse(line) as {
      eps: number[];
      cpu: number[];
      median: number;
      encodeEps: number;
      jsonBytes: number;
      avroBytes: number;
    };
    // events per CPU-second of the whole process (librdkafka's threads included):
    // what one dedicated core would publish, independent of how busy the machine is
    const perCpu = median(res.eps.map((x, i) => x / (res.cpu[i] ?? NaN)));
    rows.push(
      `| ${client} | ${Math.round(res.median).toLocaleString('en-US')} | ${res.eps.map((x) => Math.round(x)).join(', ')} | ` +
        `${median(res.cpu).toFixed(2)} | ${Math.round(perCpu).toLocaleString('en-US')} | ` +
        `${Math.round(res.encodeEps).toLocaleString('en-US')} | ${Math.round(res.jsonBytes)} / ${Math.round(res.avroBytes)} |`,
    );
  }
  process.stdout.write(
    [
      '| client | events/s (median) | runs | CPU cores used | events per CPU-second | Avro encode alone, per CPU-second | event bytes JSON / Avro |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

main();
