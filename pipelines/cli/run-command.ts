/**
 * `dockguard run`: the whole pipeline in one process for one Docker host — a
 * collector (proxy or authz plugin, built exactly as `dockguard collect` builds
 * it) → a bounded in-process queue → the detectors → the console, a JSON Lines
 * file and, when an `elasticsearch` section is configured, Elasticsearch.
 * No Kafka. The configuration file is the distributed services' format; with no
 * file at all the embedded defaults apply (rules from sigma-rules/).
 *
 * `--replay <audit-events.jsonl>` runs the detectors on recorded audit events
 * instead of a live socket, prints a summary and exits 0.
 *
 * SIGTERM/SIGINT (live): stop the collector (in-flight calls finish), drain the
 * queue through the detectors, flush the outputs, save the state snapshot, exit 0.
 */
import pino from 'pino';
import { DockguardError } from '../../detectors/errors';
import { ConsoleFindings } from '../adapters/console-findings';
import { JsonlFindings } from '../adapters/jsonl-findings';
import { readJsonl } from '../adapters/jsonl-events';
import { readCollectorConfig } from '../collectors/collector-config';
import { MemoryAuditSink } from '../collectors/memory-audit-sink';
import { createRedactor } from '../collectors/normalize/redact';
import { loadConfig, type RawConfig } from '../config/config';
import { readDetectorConfig } from '../detector/detector-config';
import { loadDetectorSets, watchDetectorSets } from '../detector/detector-sets';
import { readElasticsearchConfig } from '../indexer/indexer-config';
import { createLogger, type Logger } from '../runtime/logger';
import { createShutdown } from '../runtime/shutdown';
import type * as EsOutputModule from '../run/elasticsearch-output';
import type { FindingsOutput } from '../run/findings-output';
import { readRunConfig, type RunConfig } from '../run/run-config';
import { RunPipeline } from '../run/run-pipeline';
import { parse } from './args';
import { readRedactionKey, RUNNERS } from './collect-command';
import { printProblems } from './load';

export const RUN_USAGE =
  'dockguard run [--config <file.yml>] [--replay <audit-events.jsonl|->] [--findings-out <file.jsonl>] [--quiet]';

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      config: { type: 'string' },
      replay: { type: 'string' },
      'findings-out': { type: 'string' },
      quiet: { type: 'boolean' },
    },
    `usage: ${RUN_USAGE}`,
  );
  const raw = loadConfig(typeof values.config === 'string' ? values.config : null);
  const run = readRunConfig(raw);
  if (typeof values['findings-out'] === 'string') run.findingsOut = values['findings-out'];
  if (values.quiet === true) run.console = false;
  const detector = readDetectorConfig(raw);
  // stdout is the analyst's view of findings: logs go to stderr
  const logger = createLogger('run', raw, pino.destination({ dest: 2, sync: true }));
  const loaded = loadDetectorSets(detector);
  if (!loaded.sets) {
    printProblems(loaded.problems);
    return 2;
  }
  const outputs = await openOutputs(raw, run, logger);
  const replay = typeof values.replay === 'string' ? values.replay : null;
  const pipeline = new RunPipeline({
    sets: loaded.sets,
    detector,
    outputs,
    logger,
    snapshotFile: run.snapshotFile,
    // a replay keeps finding.created = event time, so its output is the same every time
    ...(replay === null ? { clock: () => Date.now() } : {}),
  });
  try {
    pipeline.loadSnapshot();
  } catch (e) {
    await pipeline.closeOutputs();
    throw e;
  }
  if (replay !== null) return runReplay(replay, pipeline, run);
  return runLive(raw, run, detector, pipeline, logger, loaded.counts);
}

async function openOutputs(raw: RawConfig, run: RunConfig, logger: Logger): Promise<FindingsOutput[]> {
  const outputs: FindingsOutput[] = [];
  if (run.console) {
    const view = new ConsoleFindings({ minLevel: run.consoleMinLevel });
    outputs.push({ name: 'console', write: (f) => view.write(f), close: () => view.close() });
  }
  if (run.findingsOut !== null) {
    const file = await JsonlFindings.open(run.findingsOut);
    outputs.push({ name: 'jsonl', write: (f) => file.write(f), close: () => file.close() });
  }
  if (raw.values.elasticsearch !== undefined) {
    const es = readElasticsearchConfig(raw);
    // loaded only when configured: a quick start needs neither the client nor a cluster
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ElasticsearchOutput } = require('../run/elasticsearch-output') as typeof EsOutputModule;
    const out = ElasticsearchOutput.create(es, run.elasticsearchNamespace, logger);
    await out.setup();
    outputs.push(out);
  }
  return outputs;
}

async function runReplay(source: string, pipeline: RunPipeline, run: RunConfig): Promise<number> {
  for await (const item of readJsonl(source)) {
    if (!item.ok) {
      pipeline.summary.skipped++;
      process.stderr.write(`${source}:${item.line}: skipped malformed event: ${item.error}\n`);
      continue;
    }
    await pipeline.process(item.event);
  }
  await pipeline.flush();
  pipeline.saveSnapshot();
  await pipeline.closeOutputs();
  const s = pipeline.summary;
  process.stdout.write(`\n${s.format()}\n`);
  if (run.findingsOut !== null) process.stdout.write(`findings written to ${run.findingsOut}\n`);
  return 0;
}

async function runLive(
  raw: RawConfig,
  run: RunConfig,
  detector: ReturnType<typeof readDetectorConfig>,
  pipeline: RunPipeline,
  logger: Logger,
  counts: object,
): Promise<number> {
  const cfg = readCollectorConfig(raw);
  const runner = RUNNERS[cfg.mode];
  if (!runner)
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: `collector.mode: "${cfg.mode}" is not available in this build (have ${Object.keys(RUNNERS).join(', ')})`,
    });
  const queue = new MemoryAuditSink(run.queueCapacity);
  const consuming = pipeline.consume(queue).catch((err: unknown) => {
    logger.fatal({ err }, 'the detectors stopped');
    process.exitCode = 1;
  });
  const redactor = createRedactor(readRedactionKey(cfg, logger));
  const collector = await runner(raw, cfg, { sink: queue, redactor, logger });
  const snapshots = setInterval(() => {
    try {
      pipeline.saveSnapshot();
    } catch (err) {
      logger.error({ err }, 'saving the detector state failed');
    }
  }, run.snapshotEveryMinutes * 60_000);
  snapshots.unref();
  const watcher = detector.watch
    ? watchDetectorSets(
        detector,
        (l) => pipeline.reload(l),
        (err) => logger.warn({ err }, 'watching rule files failed'),
      )
    : undefined;
  logger.info({ mode: cfg.mode, ...counts }, 'dockguard run: collecting and detecting');

  const shutdown = createShutdown({ logger, deadlineMs: (cfg.proxy.shutdownGraceSeconds + 20) * 1000 }).install();
  shutdown.onShutdown('collector: finish in-flight calls', () => collector.stop(), 10);
  shutdown.onShutdown(
    'detectors: drain the queue',
    async () => {
      watcher?.close();
      clearInterval(snapshots);
      await queue.close();
      await consuming;
      await pipeline.flush();
    },
    20,
  );
  shutdown.onShutdown('state: save the snapshot', () => pipeline.saveSnapshot(), 30);
  shutdown.onShutdown('outputs: flush', () => pipeline.closeOutputs(), 40);
  return new Promise<number>(() => undefined);
}
