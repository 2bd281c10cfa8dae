/**
 * The kafkajs producer's requests stay under maxRequestBytes (the broker refuses a
 * record batch over message.max.bytes whole): chunkRecords keeps every record, in
 * order, and ends a chunk before the record that would take it over the bound.
 */
import type { ProducerRecord } from './kafka-producer';
import { chunkRecords, recordBytes } from './kafkajs-producer';

const rec = (i: number, size: number, headers?: Record<string, string>): ProducerRecord => ({
  topic: i % 3 === 0 ? 'a' : 'b',
  key: `k${i}`,
  value: Buffer.alloc(size, i % 251),
  ...(headers ? { headers } : {}),
});

/** A `send` call as the producer queues it: its records and their recordBytes sum. */
const call = (records: ProducerRecord[]): { records: ProducerRecord[]; bytes: number } => ({
  records,
  bytes: records.reduce((s, r) => s + recordBytes(r), 0),
});

describe('chunkRecords', () => {
  it('keeps every record in order, each chunk within the bound unless one record alone exceeds it', () => {
    let x = 11;
    const rnd = (n: number): number => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return x % n;
    };
    for (const max of [1024, 10_000, 1_000_000]) {
      const calls = Array.from({ length: 40 }, (_, c) =>
        call(
          Array.from({ length: 1 + rnd(60) }, (_, i) =>
            rec(
              c * 100 + i,
              rnd(4) === 0 ? rnd(3 * max) : rnd(400),
              rnd(5) === 0 ? { reason: 'x'.repeat(rnd(300)) } : undefined,
            ),
          ),
        ),
      );
      const chunks = chunkRecords(calls, max);
      expect(chunks.flat()).toEqual(calls.flatMap((c) => c.records));
      for (const chunk of chunks) {
        expect(chunk.length).toBeGreaterThan(0);
        const bytes = chunk.reduce((s, r) => s + recordBytes(r), 0);
        if (chunk.length > 1) expect(bytes).toBeLessThanOrEqual(max);
        else if (bytes > max) expect(recordBytes(chunk[0]!)).toBeGreaterThan(max);
      }
      // and chunks are full: the next chunk's first record would not have fitted
      for (let i = 0; i + 1 < chunks.length; i++) {
        const bytes = chunks[i]!.reduce((s, r) => s + recordBytes(r), 0);
        expect(bytes + recordBytes(chunks[i + 1]![0]!)).toBeGreaterThan(max);
      }
    }
  });

  it('5,000 dead letters of 20 KiB go out in requests of at most 1 MB each', () => {
    const calls = [
      call(Array.from({ length: 5000 }, (_, i) => rec(i, 20 * 1024, { 'dockguard.error.code': 'EVENT_INVALID' }))),
    ];
    const chunks = chunkRecords(calls, 1_000_000);
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil((5000 * 20 * 1024) / 1_000_000));
    for (const c of chunks) expect(c.reduce((s, r) => s + (r.value?.length ?? 0), 0)).toBeLessThanOrEqual(1_000_000);
  });

  it('a batch within the bound is one chunk of all its calls, in order', () => {
    const calls = [call([rec(0, 100), rec(1, 200)]), call([rec(2, 300)])];
    expect(chunkRecords(calls, 1_000_000)).toEqual([calls.flatMap((c) => c.records)]);
    expect(chunkRecords(calls, 500).flat()).toEqual(calls.flatMap((c) => c.records));
  });

  it('counts a tombstone (null value) as its key and framing', () => {
    expect(recordBytes({ topic: 't', key: 'k', value: null, partition: 0 })).toBe(24 + 1);
  });

  it('counts a record as its key, value and headers plus framing', () => {
    expect(recordBytes({ topic: 't', key: 'ab', value: Buffer.alloc(10) })).toBe(24 + 2 + 10);
    expect(recordBytes({ topic: 't', key: Buffer.from('é'), value: Buffer.alloc(0), headers: { h: 'vé' } })).toBe(
      24 + 2 + 6 + 1 + 3,
    );
  });
});
