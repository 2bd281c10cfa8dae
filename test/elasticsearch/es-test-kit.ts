// Shared helpers of the Elasticsearch suites: a client for the local service, unique
// names, and an index created from the audit or findings component template.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { createElasticsearchClient } from '../../pipelines/adapters/elasticsearch-sink';
import { localServices } from '../services/local-services';

export const esUrl = localServices().elasticsearchUrl;

export function esClient(node = esUrl as string): Client {
  return createElasticsearchClient({ node, requestTimeoutMs: 30_000 });
}

export function unique(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export function componentMappings(file: 'dockguard-audit-mappings.json' | 'dockguard-findings-mappings.json') {
  const p = path.resolve(__dirname, '../../schemas/elasticsearch', file);
  return (JSON.parse(fs.readFileSync(p, 'utf8')) as { template: { mappings: Record<string, unknown> } }).template
    .mappings;
}

/** A fresh index (not matching the dockguard templates) with the given mappings. */
export async function createIndex(client: Client, index: string, mappings: Record<string, unknown>): Promise<void> {
  await client.indices.create({
    index,
    settings: { number_of_shards: 1, number_of_replicas: 0 },
    mappings: mappings as never,
  });
}
