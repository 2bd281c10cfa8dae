/**
 * Configuration section `run`: what `dockguard run` (collector, detectors and
 * outputs in one process) adds to the sections it shares with the distributed
 * services (`collector`, `detector`, `elasticsearch`).
 *
 *   run:
 *     findingsOut: /var/lib/dockguard/findings.jsonl
 *     snapshotFile: /var/lib/dockguard/state.snapshot
 */
import { defineSection, readSection, type RawConfig } from '../config/config';

export interface RunConfig {
  /** JSON Lines file the findings are appended to; null: none (`--findings-out` overrides). */
  findingsOut: string | null;
  /** Detector state (correlation windows, baselines) saved here on shutdown and loaded at start; null: memory only. */
  snapshotFile: string | null;
  /** Minutes between snapshots while running (a crash loses at most this much learning). */
  snapshotEveryMinutes: number;
  /** Audit events queued between the collector and the detectors; beyond it API calls wait (never dropped). */
  queueCapacity: number;
  /** The live console view of findings on stdout. */
  console: boolean;
  /** Findings below this level are not shown on the console (they still go to the file and Elasticsearch). */
  consoleMinLevel: 'informational' | 'low' | 'medium' | 'high' | 'critical';
  /** Index findings into Elasticsearch when an `elasticsearch` section is configured. */
  elasticsearchNamespace: string;
}

export const runSection = defineSection<RunConfig>('run', {
  type: 'object',
  additionalProperties: false,
  properties: {
    findingsOut: { type: ['string', 'null'], default: null },
    snapshotFile: { type: ['string', 'null'], default: null },
    snapshotEveryMinutes: { type: 'number', exclusiveMinimum: 0, default: 5 },
    queueCapacity: { type: 'integer', minimum: 1, default: 10_000 },
    console: { type: 'boolean', default: true },
    consoleMinLevel: { enum: ['informational', 'low', 'medium', 'high', 'critical'], default: 'low' },
    // Elastic's data stream naming rules: lower case, no '-'
    elasticsearchNamespace: { type: 'string', pattern: '^[a-z0-9_]{1,100}$', default: 'default' },
  },
});

export function readRunConfig(raw: RawConfig): RunConfig {
  return readSection(raw, runSection);
}
