/**
 * The detectors' state changelog: a compacted topic partitioned like the audit
 * topic, changelog partition p holding the state of audit partition p (keys
 * `<p>/<kind>/<state key>`, value JSON text, a tombstone for a deletion).
 * On assignment the service reads partitions 0..high of the changelog partitions
 * it takes over before it processes a single event of them (Kafka Streams' restore).
 *
 * The service's own bookkeeping rides along: `<p>/svc/offset` is the last input
 * offset whose effects the state contains. A batch's changelog is written after
 * its findings were acknowledged and before its input offsets are committed, so
 * after a crash in between the replayed events at or below that offset are
 * skipped (their findings are already in Kafka) instead of being folded into the
 * state twice.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { DockguardError } from '../../detectors/errors';
import type { StateChange } from '../../detectors/state/partition-state';

export const OFFSET_KIND = 'svc';

export function offsetKey(partition: number): string {
  return `${partition}/${OFFSET_KIND}/offset`;
}

export interface RestoredPartition {
  changes: StateChange[];
  /** The last input offset folded into this state, or -1. */
  lastOffset: number;
}

/** Reads the given changelog partitions up to their current end. */
export async function readChangelog(
  kafka: Kafka,
  topic: string,
  partitions: readonly number[],
  logger: Logger,
  timeoutMs = 120_000,
): Promise<Map<number, RestoredPartition>> {
  const out = new Map<number, RestoredPartition>();
  for (const p of partitions) out.set(p, { changes: [], lastOffset: -1 });
  const admin = kafka.admin();
  let ends: Map<number, bigint>;
  try {
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(
      offsets
        .filter((o) => out.has(o.partition) && BigInt(o.high) > BigInt(o.low))
        .map((o) => [o.partition, BigInt(o.high) - 1n]),
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  if (ends.size === 0) return out;
  // kafkajs has no manual assignment: a throwaway group reads the topic and keeps
  // the partitions we take over; its offsets are never committed
  const groupId = `dockguard-restore-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const started = Date.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new DockguardError({
              stage: 'runtime',
              code: 'STATE_RESTORE',
              message: `changelog ${topic}: partitions ${[...ends.keys()].join(',')} not read to their end in ${timeoutMs} ms`,
              retriable: true,
            }),
          ),
        timeoutMs,
      );
      const remaining = new Set(ends.keys());
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition);
            const target = out.get(batch.partition);
            if (end === undefined || !target) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) > end) break;
              const key = m.key?.toString('utf8') ?? '';
              const value = m.value ? m.value.toString('utf8') : null;
              if (key === offsetKey(batch.partition)) target.lastOffset = value === null ? -1 : Number(value);
              else target.changes.push({ key, value });
            }
            if (BigInt(batch.lastOffset()) >= end) {
              remaining.delete(batch.partition);
              if (remaining.size === 0) {
                clearTimeout(timer);
                resolve();
              }
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const cleanup = kafka.admin();
    await cleanup
      .connect()
      .then(() => cleanup.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => cleanup.disconnect().catch(() => undefined));
  }
  logger.info(
    {
      topic,
      partitions: [...out.keys()],
      records: [...out.values()].reduce((n, r) => n + r.changes.length, 0),
      ms: Date.now() - started,
    },
    'state restored from changelog',
  );
  return out;
}
