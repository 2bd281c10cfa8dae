/**
 * `dockguard setup kafka [--config <file>]`: creates the pipeline's topics (audit
 * events, findings, dead letters) and the detectors' compacted state changelog,
 * with the configured partition counts (idempotent; the services do the same at
 * start). Prints what was created, found, altered or under-partitioned as JSON.
 */
import { changelogTopic, ensureTopics, pipelineTopics } from '../adapters/kafka-admin';
import { readKafkaConfig } from '../adapters/kafka-config';
import { loadConfig } from '../config/config';
import { changelogStore, readDetectorConfig } from '../detector/detector-config';
import { createLogger } from '../runtime/logger';
import { parse } from './args';

export const SETUP_KAFKA_USAGE = 'dockguard setup kafka [--config <file.yml>]';

export async function setupKafkaCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' } }, `usage: ${SETUP_KAFKA_USAGE}`);
  const raw = loadConfig(typeof values['config'] === 'string' ? values['config'] : null);
  const kafka = readKafkaConfig(raw);
  const detector = readDetectorConfig(raw);
  const logger = createLogger('setup', raw);
  const result = await ensureTopics(kafka, logger, [
    ...pipelineTopics(kafka),
    changelogTopic(kafka, changelogStore(detector)),
  ]);
  process.stdout.write(JSON.stringify(result) + '\n');
  return result.underPartitioned.length > 0 ? 1 : 0;
}
