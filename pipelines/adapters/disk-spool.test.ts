// The spool against real files in a temporary directory: order, rotation,
// acknowledgement, the byte bound, and recovery after a crash (torn last record,
// damaged segment, stale cursor).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { DockguardError } from '../../detectors/errors';
import { DiskSpool, type DiskSpoolOptions } from './disk-spool';
import { SEGMENT_HEADER_BYTES, frameRecords, parseSegmentFileName } from './disk-spool-format';
import type { ProducerRecord } from './kafka-producer';

const logger = pino({ level: 'silent' });
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-spool-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function opts(over: Partial<DiskSpoolOptions> = {}): DiskSpoolOptions {
  return { dir, maxBytes: 1024 * 1024, segmentBytes: 16 * 1024, fsync: 'never', fsyncIntervalMs: 50, ...over };
}

function rec(i: number): ProducerRecord {
  return { topic: 'audit', key: `k${i % 5}`, value: Buffer.from(JSON.stringify({ i, pad: 'p'.repeat(200) })) };
}

const ids = (rs: ProducerRecord[]): number[] => rs.map((r) => (JSON.parse(String(r.value)) as { i: number }).i);

async function drain(spool: DiskSpool, per = 7): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    const b = await spool.read(per);
    if (b.records.length === 0) return out;
    out.push(...ids(b.records));
    await spool.ack(b);
  }
}

function segments(): string[] {
  return fs.readdirSync(dir).filter((n) => parseSegmentFileName(n) !== null);
}

describe('DiskSpool', () => {
  it('loses nothing appended while an ack replaces the consumed active segment (the drain meets live traffic)', async () => {
    // Regression: an append that started on the old segment and finished after the
    // switch was deleted with it, and left a hole of zeros in the new one.
    const spool = await DiskSpool.open(opts({ fsync: 'always' }), logger);
    const got: number[] = [];
    let next = 0;
    for (let round = 0; round < 40; round++) {
      await spool.append([rec(next++)]);
      const b = await spool.read(100);
      got.push(...ids(b.records));
      // ack empties the active segment and rotates; appends race with it
      const acked = spool.ack(b);
      const appends = [spool.append([rec(next++)]), spool.append([rec(next++), rec(next++)])];
      await Promise.all([acked, ...appends]);
      got.push(...(await drain(spool)));
    }
    expect(got).toEqual(Array.from({ length: next }, (_, i) => i));
    expect(spool.records).toBe(0);
    expect(spool.recovery.dropped).toBe(0);
    await spool.close();
  });

  it('gives records back in append order across segment rotations, and deletes consumed segments', async () => {
    const spool = await DiskSpool.open(opts(), logger);
    const n = 300; // ~70 KB: several 16 KB segments
    await Promise.all(Array.from({ length: n }, (_, i) => spool.append([rec(i)])));
    expect(spool.records).toBe(n);
    expect(segments().length).toBeGreaterThan(3);
    for (const s of segments()) expect(fs.statSync(path.join(dir, s)).size).toBeLessThanOrEqual(16 * 1024);
    expect(await drain(spool)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(spool.records).toBe(0);
    expect(spool.isEmpty()).toBe(true);
    // only the fresh active segment is left, holding nothing
    expect(segments()).toHaveLength(1);
    expect(spool.bytes).toBe(SEGMENT_HEADER_BYTES);
    await spool.close();
  });

  it('refuses an append past maxBytes whole, with SPOOL_FULL, and accepts again once drained', async () => {
    const spool = await DiskSpool.open(opts({ maxBytes: 64 * 1024, segmentBytes: 8 * 1024 }), logger);
    let accepted = 0;
    let refused: unknown;
    for (let i = 0; i < 1000 && !refused; i++) {
      try {
        await spool.append([rec(i), rec(i + 100000)]);
        accepted += 2;
      } catch (e) {
        refused = e;
      }
    }
    expect(refused).toBeInstanceOf(DockguardError);
    expect((refused as DockguardError).code).toBe('SPOOL_FULL');
    expect(spool.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(spool.records).toBe(accepted); // nothing of the refused append was kept
    expect((await drain(spool, 50)).length).toBe(accepted);
    await expect(spool.append([rec(1)])).resolves.toBeUndefined();
    await spool.close();
  });

  it('survives a restart: unacknowledged records come back, acknowledged ones do not', async () => {
    const a = await DiskSpool.open(opts({ fsync: 'always' }), logger);
    await a.append(Array.from({ length: 100 }, (_, i) => rec(i)));
    const first = await a.read(30);
    await a.ack(first);
    await a.close();
    const b = await DiskSpool.open(opts(), logger);
    expect(b.recovery).toEqual({ records: 70, dropped: 0, droppedBytes: 0 });
    expect(b.records).toBe(70);
    await b.append([rec(100)]);
    expect(await drain(b)).toEqual(Array.from({ length: 71 }, (_, i) => i + 30));
    await b.close();
  });

  it('after a crash mid-write, a torn last record is dropped and counted; every complete record is kept', async () => {
    const a = await DiskSpool.open(opts({ segmentBytes: 1024 * 1024 }), logger);
    await a.append(Array.from({ length: 50 }, (_, i) => rec(i)));
    // simulate the crash: no close(); the last frame loses its tail
    const seg = path.join(dir, segments().at(-1)!);
    const size = fs.statSync(seg).size;
    fs.truncateSync(seg, size - 17);
    const b = await DiskSpool.open(opts(), logger);
    expect(b.recovery.records).toBe(49);
    expect(b.recovery.dropped).toBe(1);
    expect(b.recovery.droppedBytes).toBe(frameRecords([rec(49)]).length - 17);
    expect(fs.statSync(seg).size).toBe(size - frameRecords([rec(49)]).length); // truncated to the intact end
    expect(await drain(b)).toEqual(Array.from({ length: 49 }, (_, i) => i));
    await b.close();
    await a.close(); // the "crashed" instance's file handle
  });

  it('a length written before its data (zero-filled tail) is dropped the same way', async () => {
    const a = await DiskSpool.open(opts(), logger);
    await a.append([rec(0), rec(1)]);
    const seg = path.join(dir, segments().at(-1)!);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(300, 0);
    fs.appendFileSync(seg, Buffer.concat([header, Buffer.alloc(300)]));
    const b = await DiskSpool.open(opts(), logger);
    expect(b.recovery).toMatchObject({ records: 2, dropped: 1, droppedBytes: 308 });
    expect(await drain(b)).toEqual([0, 1]);
    await b.close();
    await a.close();
  });

  it('damage inside an older segment keeps the records before it and the later segments', async () => {
    const a = await DiskSpool.open(opts({ segmentBytes: 4096 }), logger);
    for (let i = 0; i < 60; i++) await a.append([rec(i)]);
    await a.close();
    const segs = segments();
    expect(segs.length).toBeGreaterThan(3);
    const victim = path.join(dir, segs[1]!);
    const buf = fs.readFileSync(victim);
    const perSegment = Math.floor((4096 - SEGMENT_HEADER_BYTES) / frameRecords([rec(10)]).length);
    // flip a byte in the second record of the second segment
    const at = SEGMENT_HEADER_BYTES + frameRecords([rec(10)]).length + 20;
    buf[at] = buf[at]! ^ 0xff;
    fs.writeFileSync(victim, buf);
    const b = await DiskSpool.open(opts({ segmentBytes: 4096 }), logger);
    expect(b.recovery.dropped).toBe(1);
    const got = await drain(b);
    // the first segment whole, one record of the second, then everything from the third on
    const lostFrom = perSegment + 1;
    const lostTo = 2 * perSegment;
    expect(got).toEqual(Array.from({ length: 60 }, (_, i) => i).filter((i) => i < lostFrom || i >= lostTo));
    await b.close();
  });

  it('a missing or damaged cursor re-sends from the oldest segment: duplicates, never loss', async () => {
    const a = await DiskSpool.open(opts(), logger);
    await a.append(Array.from({ length: 10 }, (_, i) => rec(i)));
    await a.ack(await a.read(4));
    await a.close();
    fs.writeFileSync(path.join(dir, 'cursor'), '{not json');
    const b = await DiskSpool.open(opts(), logger);
    expect(await drain(b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    await b.close();
  });

  it('refuses a directory another live process holds', async () => {
    fs.writeFileSync(path.join(dir, 'LOCK'), `${process.ppid}\n`);
    await expect(DiskSpool.open(opts(), logger)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    fs.writeFileSync(path.join(dir, 'LOCK'), '999999999\n'); // a pid that cannot exist: a stale lock
    const s = await DiskSpool.open(opts(), logger);
    await s.close();
  });

  it('fsync always and interval both keep every acknowledged append readable after a restart', async () => {
    for (const fsync of ['always', 'interval'] as const) {
      const sub = opts({ fsync, dir: path.join(dir, fsync) });
      const a = await DiskSpool.open(sub, logger);
      await Promise.all(Array.from({ length: 40 }, (_, i) => a.append([rec(i)])));
      // no close: the process "dies" here; written data is in the page cache
      const b = await DiskSpool.open(sub, logger);
      expect(b.recovery.records).toBe(40);
      await b.close();
      await a.close().catch(() => undefined);
    }
  });
});
