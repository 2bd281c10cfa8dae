/**
 * `dockguard collect --config <file>`: runs a collector. `collector.mode` picks
 * the kind (proxy here; authz registers its runner in RUNNERS). Events go to
 * Kafka when the configuration has a `kafka` section, else to JSON Lines
 * (`collector.jsonlOutput`, stdout by default; logs go to stderr).
 *
 * Ops server (section `ops`): /healthz, /readyz (not ready while the sink
 * refuses events), /metrics.
 *
 * SIGTERM/SIGINT (runtime/shutdown.ts): stop accepting, let in-flight calls
 * finish (up to collector.proxy.shutdownGraceSeconds), flush the sink, exit 0.
 */
import * as fs from 'fs';
import { randomBytes } from 'crypto';
import pino from 'pino';
import { DockguardError } from '../../detectors/errors';
import { startAuthzCollector } from '../adapters/docker-authz-collector';
import { DockerProxy } from '../adapters/docker-proxy';
import { JsonlAuditSink } from '../adapters/jsonl-audit-sink';
import type { AuditSink } from '../collectors/audit-sink';
import { readCollectorConfig, type CollectorConfig } from '../collectors/collector-config';
import { createEventBuilder } from '../collectors/event-builder';
import { createRedactor, type Redactor } from '../collectors/normalize/redact';
import { loadDenyPolicy } from '../collectors/policy-config';
import { loadConfig, readSection, type RawConfig } from '../config/config';
import { createLogger, type Logger } from '../runtime/logger';
import { ServiceMetrics } from '../runtime/metrics';
import { opsSection, startOpsServer } from '../runtime/ops-server';
import { createShutdown } from '../runtime/shutdown';
import { parse } from './args';

export const COLLECT_USAGE = 'dockguard collect --config <file.yml>';

/** A running collector: `stop` returns once in-flight calls are recorded. */
export interface RunningCollector {
  stop(): Promise<void>;
}

export type CollectorRunner = (
  raw: RawConfig,
  cfg: CollectorConfig,
  deps: { sink: AuditSink; redactor: Redactor; logger: Logger; metrics?: ServiceMetrics },
) => Promise<RunningCollector>;

const runProxy: CollectorRunner = async (raw, cfg, { sink, redactor, logger, metrics }) => {
  const proxy = new DockerProxy({
    config: cfg.proxy,
    collectorId: cfg.id,
    hostName: cfg.hostName,
    policy: loadDenyPolicy(raw),
    sink,
    buildEvent: createEventBuilder({ redactor }),
    logger,
    metrics,
  });
  await proxy.listen();
  return {
    stop: async () => {
      await proxy.close();
      logger.info({ stats: proxy.stats }, 'proxy stopped');
    },
  };
};

const runAuthz: CollectorRunner = (raw, cfg, { sink, redactor, logger, metrics }) =>
  startAuthzCollector(raw, cfg, { sink, logger, metrics, buildEvent: createEventBuilder({ redactor }) });

export const RUNNERS: Partial<Record<CollectorConfig['mode'], CollectorRunner>> = { proxy: runProxy, authz: runAuthz };

export async function collectCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' } }, `usage: ${COLLECT_USAGE}`);
  const file = typeof values.config === 'string' ? values.config : null;
  const raw = loadConfig(file);
  const cfg = readCollectorConfig(raw);
  // Logs go to stdout, unless the events do: then to stderr.
  const logger = createLogger(
    'collector',
    raw,
    cfg.jsonlOutput === '-' && raw.values.kafka === undefined ? pino.destination({ dest: 2, sync: true }) : undefined,
  );
  const runner = RUNNERS[cfg.mode];
  if (!runner)
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: `collector.mode: "${cfg.mode}" is not available in this build (have ${Object.keys(RUNNERS).join(', ')})`,
    });
  const opsConfig = readSection(raw, opsSection);
  const redactor = createRedactor(readRedactionKey(cfg, logger));
  const metrics = new ServiceMetrics('collector');
  const sink = await openSink(raw, cfg, logger, metrics);
  let running: RunningCollector;
  try {
    running = await runner(raw, cfg, { sink, redactor, logger, metrics });
  } catch (e) {
    await sink.close();
    throw e;
  }
  const ops = await startOpsServer({ config: opsConfig, registry: metrics.registry, logger });
  // Not ready while calls would be refused for want of a place to record them.
  ops.addReadinessCheck('audit-sink', () => {
    if (!sink.accepting()) throw new Error('the audit sink does not accept events; calls are denied');
  });
  // The coordinator exits the process (0 when every hook finished in time).
  const shutdown = createShutdown({ logger, deadlineMs: (cfg.proxy.shutdownGraceSeconds + 5) * 1000 }).install();
  shutdown.onShutdown(
    'collector: finish in-flight calls',
    () => {
      ops.setDraining();
      return running.stop();
    },
    10,
  );
  shutdown.onShutdown('collector: flush the audit sink', () => sink.close(), 30);
  shutdown.onShutdown('collector: close the ops server', () => ops.close(), 90);
  return new Promise<number>(() => undefined);
}

export function readRedactionKey(cfg: CollectorConfig, logger: Logger): Buffer {
  if (cfg.redactionKeyFile === null) {
    logger.warn(
      'collector.redactionKeyFile is not set: secrets are hashed with a random per-process key, so equal ' +
        'secrets seen before and after a restart get different hashes',
    );
    return randomBytes(32);
  }
  let key: Buffer;
  try {
    key = fs.readFileSync(cfg.redactionKeyFile);
  } catch (e) {
    throw new DockguardError({
      stage: 'io',
      code: 'IO_READ',
      message: `collector.redactionKeyFile: cannot read ${cfg.redactionKeyFile}: ${(e as Error).message}`,
      cause: e,
    });
  }
  if (key.length < 16)
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: `collector.redactionKeyFile: ${cfg.redactionKeyFile} holds ${key.length} bytes; use at least 16 (e.g. head -c 32 /dev/urandom)`,
    });
  return key;
}

/** The Kafka sink when `kafka` is configured (loaded lazily: it pulls in the Kafka client), else JSON Lines. */
async function openSink(
  raw: RawConfig,
  cfg: CollectorConfig,
  logger: Logger,
  metrics: ServiceMetrics,
): Promise<AuditSink> {
  if (raw.values.kafka === undefined) {
    logger.info({ output: cfg.jsonlOutput }, 'no kafka section: audit events are written as JSON Lines');
    return JsonlAuditSink.open(cfg.jsonlOutput);
  }
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { createKafkaAuditSink } =
    require('../adapters/kafka-audit-sink') as typeof import('../adapters/kafka-audit-sink');
  const { readKafkaConfig, readSpoolConfig } =
    require('../adapters/kafka-config') as typeof import('../adapters/kafka-config');
  const { createCodec } = require('../codec/create-codec') as typeof import('../codec/create-codec');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const config = { kafka: readKafkaConfig(raw), spool: readSpoolConfig(raw) };
  logger.info({ topic: config.kafka.topics.audit }, 'audit events go to Kafka');
  // with schemaRegistry.url: ids from the registry (startup stops if it refuses the schemas)
  const codec = await createCodec(raw);
  return createKafkaAuditSink(config, logger, { metrics, codec });
}
