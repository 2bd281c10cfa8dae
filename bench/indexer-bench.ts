/**
 * `npm run bench -- indexer [--docs N] [--runs R]`: the indexer's throughput into
 * the local Elasticsearch (ELASTICSEARCH_URL) and its CPU per document, for several
 * bulk sizes and concurrencies. The path measured is the service's own: Avro
 * records (as Kafka delivers them) → decode → ECS document → `_bulk` create,
 * through IndexerService.handleBatch, in batches of 2,000 records (one Kafka fetch).
 * Each configuration writes into a fresh index (replicas 0) that is deleted after;
 * the median of the runs is printed. CPU is this process's user+system time: the
 * indexer's cost, not Elasticsearch's (which shares the machine, so the docs/s
 * figure is a floor for a dedicated cluster).
 */
import { performance } from 'perf_hooks';
import pino from 'pino';
import { setupElasticsearch, targetName } from '../pipelines/adapters/elasticsearch-setup';
import { createElasticsearchClient, ElasticsearchSink } from '../pipelines/adapters/elasticsearch-sink';
import type { ProducerRecord, RecordProducer } from '../pipelines/adapters/kafka-producer';
import { AvroCodec } from '../pipelines/codec/avro-codec';
import { IndexerService, type IndexerRecord } from '../pipelines/indexer/indexer-service';
import { seedFindings } from '../test/elasticsearch/findings-fixture';

const FETCH = 2000;

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const url = process.env.ELASTICSEARCH_URL;
  if (!url) {
    process.stdout.write('indexer bench skipped: ELASTICSEARCH_URL is unset (deploy/local/services.sh env)\n');
    return;
  }
  const docs = arg('docs', 10_000);
  const runs = arg('runs', 3);
  const configs: Array<[number, number]> = [
    [100, 1],
    [500, 1],
    [500, 2],
    [1000, 2],
    [2000, 1],
    [500, 4],
  ];
  const codec = new AvroCodec();
  const client = createElasticsearchClient({ node: url, requestTimeoutMs: 60_000 });
  const logger = pino({ level: 'silent' });
  const noDlq: RecordProducer = { send: async (_r: ProducerRecord[]) => undefined, close: async () => undefined };
  process.stdout.write(`indexer → Elasticsearch, ${docs} findings per run, median of ${runs} runs\n`);
  process.stdout.write('bulk size | concurrency | docs/s | CPU µs/doc | bulk requests\n');
  for (const [bulkSize, concurrency] of configs) {
    const rates: number[] = [];
    const cpus: number[] = [];
    let requests = 0;
    for (let r = 0; r < runs; r++) {
      const ns = `bench${Date.now().toString(36)}${r}`;
      await setupElasticsearch(client, { namespace: ns, replicas: 0, retentionDays: 1 });
      const records: IndexerRecord[] = seedFindings(docs, ns).map((f, i) => ({
        topic: 'findings',
        partition: 0,
        offset: String(i),
        key: null,
        value: codec.encode('dockguard.finding', f),
      }));
      const sink = new ElasticsearchSink(client);
      const service = new IndexerService({
        sink,
        codec,
        deadLetter: noDlq,
        deadLetterTopic: 'dlq',
        findingsTopic: 'findings',
        auditTopic: null,
        namespace: ns,
        bulkSize,
        concurrency,
        logger,
      });
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < records.length; i += FETCH)
        await service.handleBatch(records.slice(i, i + FETCH), { heartbeat: async () => undefined });
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      rates.push(docs / seconds);
      cpus.push((cpu.user + cpu.system) / docs);
      requests = sink.stats.bulkRequests;
      if (sink.stats.created !== docs) throw new Error(`created ${sink.stats.created} of ${docs}`);
      await client.indices.delete({ index: `${targetName('findings', ns)}-*,${targetName('audit', ns)}-*` });
    }
    process.stdout.write(
      `${String(bulkSize).padStart(9)} | ${String(concurrency).padStart(11)} | ${Math.round(median(rates))
        .toLocaleString('en-US')
        .padStart(6)} | ${median(cpus).toFixed(1).padStart(10)} | ${requests}\n`,
    );
  }
  await client.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`indexer bench failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
