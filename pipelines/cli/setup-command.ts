/**
 * `dockguard setup elasticsearch [--config <file>]`: installs the component and
 * index templates and the write targets (idempotent; the indexer does the same at
 * start), and prints what it found and did as one JSON object: whether data
 * streams or indices behind write aliases were used, and whether ILM exists.
 */
import { setupElasticsearch } from '../adapters/elasticsearch-setup';
import { loadConfig } from '../config/config';
import { readElasticsearchConfig, readIndexerConfig } from '../indexer/indexer-config';
import { elasticsearchClientFor } from '../indexer/indexer-main';
import { parse } from './args';

export const SETUP_USAGE = 'dockguard setup elasticsearch [--config <file.yml>]';

export async function setupCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' } }, `usage: ${SETUP_USAGE}`);
  const raw = loadConfig(typeof values['config'] === 'string' ? values['config'] : null);
  const es = readElasticsearchConfig(raw);
  const indexer = readIndexerConfig(raw);
  const client = elasticsearchClientFor(es);
  try {
    const report = await setupElasticsearch(client, {
      namespace: indexer.namespace,
      replicas: es.replicas,
      retentionDays: es.retentionDays,
    });
    process.stdout.write(JSON.stringify(report) + '\n');
    process.stderr.write(
      report.mode === 'data_stream'
        ? `data streams: ${report.targets.map((t) => t.name).join(', ')}${report.ilm ? ` (ILM policy dockguard)` : ''}\n`
        : `this cluster has no data stream API: indices behind write aliases ${report.targets.map((t) => t.name).join(', ')}` +
            `${report.ilm ? '' : '; no ILM, so no lifecycle policy (delete old indices yourself)'}\n`,
    );
    return 0;
  } finally {
    await client.close();
  }
}
