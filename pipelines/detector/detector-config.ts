/**
 * Configuration section `detector`: where rules, baselines and indicators come
 * from, the state bounds and the dead-letter policy. The same section serves the
 * Kafka detector service (`dockguard detect`) and `dockguard run`.
 */
import * as os from 'node:os';
import { defineSection, readSection, type RawConfig } from '../config/config';
import { DEFAULT_DEAD_LETTER_MAX_BYTES } from '../adapters/dead-letter';

export interface DetectorConfig {
  /** Sigma rule files or directories (baselines/ and intel/ below them are skipped). */
  rules: string[];
  /** Baseline definition files or directories. */
  baselines: string[];
  /** Indicator files or directories (CSV, plain lists, STIX 2.1 bundles). */
  intel: string[];
  /** Optional GeoIP CSV (CIDR,country,asn) for the geography baseline. */
  geoip: string | null;
  placeholders: string | null;
  logsources: string[];
  /** Reload rules, baselines and indicators when their files change. */
  watch: boolean;
  /** Written to finding.detector. */
  instanceId: string;
  groupId: string;
  allowedLatenessMs: number;
  maxEventsPerGroup: number;
  maxCorrelationKeys: number;
  /** An audit record larger than this is dead-lettered undecoded. */
  maxEventBytes: number;
  /**
   * A dead-letter copy keeps at most this many bytes of the record: a longer one
   * keeps its start, and its headers give its length and where the whole record
   * is (source topic, partition, offset). Below the broker's message.max.bytes
   * (1 MB by default), so the dead-letter topic always takes the copy: a copy it
   * refused would be retried forever and hold the partition up.
   */
  deadLetterMaxBytes: number;
  /** Changelog store name: the topic is `<kafka.topics.changelogPrefix><groupId>.<store>`. */
  stateStore: string;
  /**
   * How often a partition's state changes go to the changelog, and its input
   * offsets are committed (Kafka Streams' commit.interval.ms). Keys changed many
   * times in between are written once. A crash replays the events since the last
   * checkpoint (their findings come again with the same ids). 0: every batch.
   */
  checkpointIntervalMs: number;
  /** A checkpoint also after this many events of a partition, whatever the interval. */
  checkpointMaxEvents: number;
}

export const detectorSection = defineSection<DetectorConfig>('detector', {
  type: 'object',
  additionalProperties: false,
  properties: {
    rules: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['sigma-rules'] },
    baselines: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['sigma-rules/baselines'] },
    intel: { type: 'array', items: { type: 'string', minLength: 1 }, default: ['sigma-rules/intel'] },
    geoip: { type: ['string', 'null'], default: null },
    placeholders: { type: ['string', 'null'], default: null },
    logsources: { type: 'array', items: { type: 'string' }, default: [] },
    watch: { type: 'boolean', default: true },
    instanceId: { type: 'string', minLength: 1, default: `${os.hostname()}-${process.pid}` },
    groupId: { type: 'string', minLength: 1, default: 'dockguard-detector' },
    allowedLatenessMs: { type: 'integer', minimum: 0, default: 300_000 },
    maxEventsPerGroup: { type: 'integer', minimum: 1, default: 1_000 },
    maxCorrelationKeys: { type: 'integer', minimum: 1, default: 100_000 },
    maxEventBytes: { type: 'integer', minimum: 1024, default: 4 * 1024 * 1024 },
    deadLetterMaxBytes: { type: 'integer', minimum: 1024, default: DEFAULT_DEAD_LETTER_MAX_BYTES },
    stateStore: { type: 'string', pattern: '^[A-Za-z0-9._-]+$', default: 'detector' },
    checkpointIntervalMs: { type: 'integer', minimum: 0, default: 2_000 },
    checkpointMaxEvents: { type: 'integer', minimum: 1, default: 50_000 },
  },
});

export function readDetectorConfig(raw: RawConfig): DetectorConfig {
  return readSection(raw, detectorSection);
}

/**
 * The state store's changelog name: per consumer group, as Kafka Streams names it
 * per application, so that a second group re-reading the audit topic (a replay, a
 * test) never restores, or overwrites, the state of the first.
 */
export function changelogStore(cfg: DetectorConfig): string {
  return `${cfg.groupId}.${cfg.stateStore}`;
}
