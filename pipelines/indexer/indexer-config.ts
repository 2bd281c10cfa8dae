/**
 * Configuration sections of the indexer: `elasticsearch` (where and how to
 * connect, index settings) and `indexer` (what to consume, bulk size,
 * concurrency, retry, drain). Topic names come from the `kafka` section.
 *
 *   DOCKGUARD_ELASTICSEARCH__NODES=https://es1:9200,https://es2:9200
 *   DOCKGUARD_ELASTICSEARCH__PASSWORD=…      (never in the file)
 *   DOCKGUARD_INDEXER__INDEXAUDIT=true
 *
 * Bulk size and concurrency defaults come from `npm run bench -- indexer` on the
 * shared 2-core VM (medians of 3 × 10,000 findings): 1000 × 2 and 2000 × 1 were
 * the fastest (~870 docs/s under a load average of 17), 100 × 1 half as fast
 * with 50% more indexer CPU per document; 1000 × 2 keeps a request body near
 * 1.5 MB, far below http.max_content_length.
 */
import * as fs from 'fs';
import { DockguardError } from '../../detectors/errors';
import { defineSection, readSection, type RawConfig } from '../config/config';

export interface ElasticsearchConfig {
  nodes: string[];
  username: string | null;
  password: string | null;
  apiKey: string | null;
  /** PEM file of the CA that signed the cluster's certificate; null: the system's. */
  caFile: string | null;
  requestTimeoutMs: number;
  /** Replicas of each dockguard index (0 on a one-node cluster). */
  replicas: number;
  /** ILM delete phase, days (only where the cluster has ILM). */
  retentionDays: number;
}

export interface IndexerConfig {
  groupId: string;
  /** Also index the raw audit stream into logs-dockguard.audit-* (for pivoting and the API inventory). */
  indexAudit: boolean;
  /** The `<namespace>` of logs-dockguard.findings-<namespace>. */
  namespace: string;
  /** Documents per `_bulk` request. */
  bulkSize: number;
  /** `_bulk` requests in flight per partition batch. */
  concurrency: number;
  /** Partitions handled at the same time. */
  partitions: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** On SIGTERM, how long a batch may still wait for Elasticsearch before it is left uncommitted. */
  drainTimeoutMs: number;
  /** Install templates and write targets at start (as `dockguard setup elasticsearch`). */
  setupOnStart: boolean;
}

export const elasticsearchSection = defineSection<ElasticsearchConfig>('elasticsearch', {
  type: 'object',
  additionalProperties: false,
  properties: {
    nodes: {
      type: 'array',
      items: { type: 'string', pattern: '^https?://' },
      minItems: 1,
      default: ['http://localhost:9200'],
    },
    username: { type: ['string', 'null'], default: null },
    password: { type: ['string', 'null'], default: null },
    apiKey: { type: ['string', 'null'], default: null },
    caFile: { type: ['string', 'null'], default: null },
    requestTimeoutMs: { type: 'integer', minimum: 1000, default: 30_000 },
    replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
    retentionDays: { type: 'integer', minimum: 1, default: 180 },
  },
});

export const indexerSection = defineSection<IndexerConfig>('indexer', {
  type: 'object',
  additionalProperties: false,
  properties: {
    groupId: { type: 'string', minLength: 1, default: 'dockguard-indexer' },
    indexAudit: { type: 'boolean', default: false },
    // Elastic's data stream naming rules: lower case, no '-'
    namespace: { type: 'string', pattern: '^[a-z0-9_]{1,100}$', default: 'default' },
    bulkSize: { type: 'integer', minimum: 1, maximum: 10_000, default: 1000 },
    concurrency: { type: 'integer', minimum: 1, maximum: 16, default: 2 },
    partitions: { type: 'integer', minimum: 1, maximum: 64, default: 2 },
    retryBaseMs: { type: 'integer', minimum: 1, default: 100 },
    retryMaxMs: { type: 'integer', minimum: 1, default: 10_000 },
    drainTimeoutMs: { type: 'integer', minimum: 0, default: 15_000 },
    setupOnStart: { type: 'boolean', default: true },
  },
});

export function readElasticsearchConfig(raw: RawConfig): ElasticsearchConfig {
  const c = readSection(raw, elasticsearchSection);
  if (c.username !== null && c.apiKey !== null)
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: 'elasticsearch.username and elasticsearch.apiKey are exclusive: choose one way to authenticate',
    });
  if (c.caFile !== null && !fs.existsSync(c.caFile))
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: `elasticsearch.caFile: ${c.caFile} does not exist`,
    });
  return c;
}

export function readIndexerConfig(raw: RawConfig): IndexerConfig {
  const c = readSection(raw, indexerSection);
  if (c.retryMaxMs < c.retryBaseMs)
    throw new DockguardError({
      stage: 'config',
      code: 'CONFIG_INVALID',
      message: 'indexer.retryMaxMs must be at least indexer.retryBaseMs',
    });
  return c;
}
