/**
 * `dockguard detect --config <file>`: the detector service (a Kafka consumer
 * group; scale out by starting more, up to the audit topic's partition count).
 * Ops server: /healthz, /readyz (consuming and no partition restoring), /metrics.
 * SIGTERM: the batch in progress finishes and commits, the member leaves the
 * group, the producer flushes, exit 0.
 */
import { createCodec } from '../codec/create-codec';
import { loadConfig } from '../config/config';
import { readKafkaConfig } from '../adapters/kafka-config';
import { readDetectorConfig } from '../detector/detector-config';
import { DetectorService } from '../detector/detector-service';
import { loadDetectorSets } from '../detector/detector-sets';
import { createLogger } from '../runtime/logger';
import { ServiceMetrics } from '../runtime/metrics';
import { opsSection, startOpsServer } from '../runtime/ops-server';
import { createShutdown } from '../runtime/shutdown';
import { readSection } from '../config/config';
import { parse } from './args';
import { printProblems } from './load';

export const DETECT_USAGE = 'dockguard detect --config <file.yml>';

export async function detectCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' } }, `usage: ${DETECT_USAGE}`);
  const raw = loadConfig(typeof values.config === 'string' ? values.config : null);
  const kafka = readKafkaConfig(raw);
  const detector = readDetectorConfig(raw);
  const ops = readSection(raw, opsSection);
  const logger = createLogger('detector', raw);
  const loaded = loadDetectorSets(detector);
  if (loaded.errorCount > 0) {
    printProblems(loaded.problems);
    return 2;
  }
  const metrics = new ServiceMetrics('detector');
  // with schemaRegistry.url: ids from the registry (startup stops if it refuses the schemas)
  const codec = await createCodec(raw);
  const service = new DetectorService({ kafka, detector, logger, metrics, codec, initialSets: loaded });
  const server = await startOpsServer({ config: ops, registry: metrics.registry, logger });
  server.addReadinessCheck('consuming', () => {
    if (!service.ready()) throw new Error('not consuming yet, or restoring partition state');
  });
  const shutdown = createShutdown({ logger }).install();
  shutdown.onShutdown('ops: draining', () => server.setDraining(), 5);
  shutdown.onShutdown('detector: finish the batch, commit, leave the group', () => service.stop(), 10);
  shutdown.onShutdown('ops: close', () => server.close(), 90);
  await service.start();
  logger.info({ ops: server.url, group: detector.groupId, topic: kafka.topics.audit }, 'detector running');
  return new Promise<number>(() => undefined);
}
