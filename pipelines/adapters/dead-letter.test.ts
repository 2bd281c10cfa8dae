import { DEFAULT_DEAD_LETTER_MAX_BYTES, deadLetterRecord, type DeadRecord } from './dead-letter';

const source = (value: Buffer | null, key: Buffer | null = Buffer.from('k')): DeadRecord => ({
  topic: 'audit',
  partition: 3,
  offset: '42',
  key,
  value,
});
const error = { 'dockguard.error.code': 'EVENT_INVALID', 'dockguard.error.reason': 'bad' };

describe('deadLetterRecord', () => {
  it('copies a record up to the bound whole, and over it keeps its start and says how long the whole is', () => {
    const max = 1024;
    for (const n of [0, 1, max - 1, max, max + 1, 5 * max]) {
      const value = Buffer.from(Array.from({ length: n }, (_, i) => i % 251));
      const d = deadLetterRecord(source(value), 'dead', error, max);
      expect(d.topic).toBe('dead');
      expect(d.key).toEqual(Buffer.from('k'));
      // never over the bound, always the record's first bytes
      expect(d.value.length).toBe(Math.min(n, max));
      expect(d.value.equals(value.subarray(0, max))).toBe(true);
      expect(d.headers).toEqual({
        ...error,
        'dockguard.source.topic': 'audit',
        'dockguard.source.partition': '3',
        'dockguard.source.offset': '42',
        'dockguard.source.bytes': String(n),
        ...(n > max ? { 'dockguard.error.truncated': 'true' } : {}),
      });
    }
  });

  it('keys a record without a key by where it was, and copies a missing value as empty', () => {
    const d = deadLetterRecord(source(null, null), 'dead', error);
    expect(d.key).toBe('audit/3/42');
    expect(d.value.length).toBe(0);
    expect(d.headers?.['dockguard.source.bytes']).toBe('0');
  });

  it('bounds by default below the broker default message.max.bytes, with room for the headers', () => {
    expect(DEFAULT_DEAD_LETTER_MAX_BYTES + 64 * 1024).toBeLessThan(1_048_588);
  });
});
