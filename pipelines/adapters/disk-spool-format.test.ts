import {
  FRAME_HEADER_BYTES,
  MAX_PAYLOAD_BYTES,
  MIN_PAYLOAD_BYTES,
  SEGMENT_HEADER_BYTES,
  crc32,
  crc32Table,
  decodeRecord,
  encodeRecord,
  frame,
  frameRecords,
  needsRotation,
  parseSegmentFileName,
  scanFrames,
  segmentFileName,
} from './disk-spool-format';
import type { ProducerRecord } from './kafka-producer';

function rec(i: number, extra: Partial<ProducerRecord> = {}): ProducerRecord {
  return {
    topic: 'audit',
    key: `ip:10.0.0.${i % 7}`,
    value: Buffer.from(`value-${i}-${'x'.repeat(i % 50)}`),
    ...extra,
  };
}

describe('spool format: CRC-32', () => {
  it('matches the standard check value and the table implementation', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Table(Buffer.from('123456789'))).toBe(0xcbf43926);
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff));
    expect(crc32(random)).toBe(crc32Table(random));
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});

describe('spool format: records', () => {
  it('round-trips topic, string and binary keys, values (none: a tombstone) and headers', () => {
    const cases: ProducerRecord[] = [
      rec(1),
      { topic: 't', key: Buffer.from([0, 255, 1]), value: Buffer.alloc(0) },
      { topic: 'state', key: 'gone', value: null },
      { topic: 'tôpic', key: 'clé', value: Buffer.from([1, 2, 3]), headers: { a: 'b', bin: Buffer.from([9]) } },
    ];
    for (const r of cases) {
      const back = decodeRecord(encodeRecord(r));
      expect(back.topic).toBe(r.topic);
      expect(back.key).toEqual(r.key);
      expect(back.value).toEqual(r.value);
      if (r.headers)
        for (const [k, v] of Object.entries(r.headers))
          expect(Buffer.from(back.headers?.[k] ?? '')).toEqual(typeof v === 'string' ? Buffer.from(v) : v);
      else expect(back.headers).toBeUndefined();
    }
  });

  it('rejects a payload with missing or trailing bytes', () => {
    const p = encodeRecord(rec(3));
    expect(() => decodeRecord(p.subarray(0, p.length - 1))).toThrow(RangeError);
    expect(() => decodeRecord(Buffer.concat([p, Buffer.from([0])]))).toThrow(RangeError);
  });
});

describe('spool format: frames', () => {
  const records = Array.from({ length: 20 }, (_, i) => rec(i));
  const buf = frameRecords(records);

  it('scans every frame of intact data back in order', () => {
    const scan = scanFrames(buf);
    expect(scan.stop).toBe('end');
    expect(scan.end).toBe(buf.length);
    expect(scan.frames.map((f) => String(decodeRecord(f.payload).value))).toEqual(records.map((r) => String(r.value)));
  });

  it('a torn last frame (cut at any byte) stops the scan after the last intact frame', () => {
    const lastStart = scanFrames(buf).frames[19]!.offset;
    for (let cut = lastStart + 1; cut < buf.length; cut++) {
      const scan = scanFrames(buf.subarray(0, cut));
      expect(scan.frames).toHaveLength(19);
      expect(scan.end).toBe(lastStart);
      expect(scan.stop).toBe('short');
    }
  });

  it('a length written before its data (zeros after it) is caught by the CRC', () => {
    const f = frame(encodeRecord(rec(5)));
    const torn = Buffer.concat([buf, f.subarray(0, FRAME_HEADER_BYTES), Buffer.alloc(f.length - FRAME_HEADER_BYTES)]);
    const scan = scanFrames(torn);
    expect(scan.frames).toHaveLength(20);
    expect(scan.stop).toBe('crc');
  });

  it('any flipped payload bit is detected', () => {
    const f = frame(encodeRecord(rec(2)));
    for (let i = FRAME_HEADER_BYTES; i < f.length; i += 3) {
      const bad = Buffer.from(f);
      bad[i] = bad[i]! ^ 0x10;
      expect(scanFrames(bad).frames).toHaveLength(0);
    }
  });

  it('an impossible length is damage, not a request to read gigabytes', () => {
    const bad = Buffer.from(frame(encodeRecord(rec(1))));
    bad.writeUInt32BE(MAX_PAYLOAD_BYTES + 1, 0);
    expect(scanFrames(bad).stop).toBe('length');
    expect(() => frame(Buffer.alloc(MAX_PAYLOAD_BYTES + 1))).toThrow(RangeError);
  });

  it('a run of zero bytes (a hole in a sparse file) is damage, not a frame of length 0 whose CRC matches', () => {
    const good = frame(encodeRecord(rec(1)));
    const scan = scanFrames(Buffer.concat([good, Buffer.alloc(64)]));
    expect(scan.frames).toHaveLength(1);
    expect(scan.end).toBe(good.length);
    expect(scan.stop).toBe('length');
    expect(encodeRecord({ topic: '', key: '', value: Buffer.alloc(0) }).length).toBe(MIN_PAYLOAD_BYTES);
  });

  it('maxFrames bounds a scan and says so', () => {
    const scan = scanFrames(buf, 0, 5);
    expect(scan.frames).toHaveLength(5);
    expect(scan.full).toBe(true);
    expect(scanFrames(buf, scan.end).frames).toHaveLength(15);
  });
});

describe('spool format: segments', () => {
  it('file names sort in sequence order and parse back', () => {
    const seqs = [1, 2, 10, 99, 1000, 123456789];
    const names = seqs.map(segmentFileName);
    expect([...names].sort()).toEqual(names);
    expect(names.map(parseSegmentFileName)).toEqual(seqs);
    for (const other of ['cursor', 'LOCK', '12.seg', '0000000000000001.seg.corrupt', '000000000000000a.seg'])
      expect(parseSegmentFileName(other)).toBeNull();
  });

  it('rotates before a segment would pass segmentBytes, but never leaves one empty', () => {
    const h = SEGMENT_HEADER_BYTES;
    expect(needsRotation(h, 10_000, 4096)).toBe(false); // an oversized record still gets a home
    expect(needsRotation(h + 100, 3996, 4096)).toBe(true);
    expect(needsRotation(h + 100, 3988, 4096)).toBe(false);
    expect(needsRotation(4096, 1, 4096)).toBe(true);
  });
});
