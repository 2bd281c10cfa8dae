/** `dockguard index --config <file>`: the indexer service (findings, optionally audit events → Elasticsearch). */
import { loadConfig } from '../config/config';
import { runIndexerService } from '../indexer/indexer-main';
import { parse } from './args';

export const INDEX_USAGE = 'dockguard index [--config <file.yml>]';

export async function indexCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' } }, `usage: ${INDEX_USAGE}`);
  const raw = loadConfig(typeof values['config'] === 'string' ? values['config'] : null);
  return runIndexerService(raw);
}
