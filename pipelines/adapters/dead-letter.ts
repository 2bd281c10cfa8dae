/**
 * The dead-letter copy of a consumed record, as the detector and the indexer write
 * it: the record's key and value, and headers that say why it failed and where it
 * came from (`dockguard.source.*`).
 *
 * The copy is bounded: a value over `maxBytes` keeps its start, with
 * `dockguard.error.truncated` set and `dockguard.source.bytes` giving the whole
 * length (the whole record stays in the source topic, at the offset the headers
 * give, for as long as that topic keeps it). The broker refuses a record over its
 * message.max.bytes (1 MB by default) for good, and a dead letter that cannot be
 * written is retried forever, holding its partition up; an input topic configured
 * for larger records would otherwise feed exactly such copies.
 */
import type { ConsumedRecord } from './kafka-consumer';
import type { ProducerRecord } from './kafka-producer';

/** What a dead letter copies of its record. */
export type DeadRecord = Pick<ConsumedRecord, 'topic' | 'partition' | 'offset' | 'key' | 'value'>;

/** Below the broker's default message.max.bytes (1,048,588), with room for key and headers. */
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 900_000;

export function deadLetterRecord(
  source: DeadRecord,
  topic: string,
  error: Record<string, string>,
  maxBytes = DEFAULT_DEAD_LETTER_MAX_BYTES,
): ProducerRecord & { value: Buffer } {
  const value = source.value ?? Buffer.alloc(0);
  const headers: Record<string, string> = {
    ...error,
    'dockguard.source.topic': source.topic,
    'dockguard.source.partition': String(source.partition),
    'dockguard.source.offset': source.offset,
    'dockguard.source.bytes': String(value.length),
  };
  if (value.length > maxBytes) headers['dockguard.error.truncated'] = 'true';
  return {
    topic,
    key: source.key ?? `${source.topic}/${source.partition}/${source.offset}`,
    value: value.length > maxBytes ? value.subarray(0, maxBytes) : value,
    headers,
  };
}
