/**
 * A bounded, append-only spool of Kafka records on local disk: where the audit
 * publisher keeps events while Kafka is unreachable, so a broker outage does not
 * lose the record of Docker API calls made meanwhile.
 *
 * Layout (format in disk-spool-format.ts): numbered segment files, appended to one
 * at a time and rotated at `segmentBytes`; a `cursor` file with the position up to
 * which records were acknowledged by Kafka; a `LOCK` file with the owner's pid.
 *
 * Guarantees:
 * - Order: records are read back in the order they were appended.
 * - Durability: `append` resolves once the records are written (fsync `always`:
 *   and on disk). A crashed process loses only appends that had not resolved; a
 *   torn last frame is found by its CRC on the next open and dropped, counted.
 * - At least once: the cursor is saved after Kafka acknowledged, so a crash between
 *   the two re-sends those records (duplicates, never gaps).
 * - Bounded: an append that would take the spool past `maxBytes` is refused with
 *   SPOOL_FULL, whole (all of its records or none).
 *
 * One reader (the publisher's drain loop): `read` returns the oldest unacknowledged
 * records; `ack` of that batch frees them and deletes segments wholly consumed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DockguardError } from '../../detectors/errors';
import type { Logger } from 'pino';
import {
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
  decodeRecord,
  frameRecords,
  hasSegmentHeader,
  needsRotation,
  parseSegmentFileName,
  scanFrames,
  segmentFileName,
} from './disk-spool-format';
import type { FsyncPolicy } from './kafka-config';
import type { ProducerRecord } from './kafka-producer';

export interface DiskSpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
}

/** Position in the spool: a segment and a byte offset in it. */
export interface SpoolPosition {
  seq: number;
  offset: number;
}

export interface SpoolBatch {
  records: ProducerRecord[];
  /** Frames in the batch's range that were not records (damage); `ack` counts them dropped. */
  skipped: number;
  /** Where the next batch starts; pass the batch to `ack`. */
  end: SpoolPosition;
}

export interface SpoolRecovery {
  /** Intact, unacknowledged records found on open. */
  records: number;
  /** Torn or damaged frames dropped on open (each counts one record). */
  dropped: number;
  droppedBytes: number;
}

interface Segment {
  seq: number;
  file: string;
  /** Bytes written and complete (readers never look past it). */
  size: number;
}

interface PendingAppend {
  data: Buffer;
  count: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const READ_CHUNK = 1024 * 1024;

export class DiskSpool {
  private readonly segments: Segment[] = [];
  private active!: { seg: Segment; fh: fs.promises.FileHandle };
  private cursor: SpoolPosition = { seq: 0, offset: SEGMENT_HEADER_BYTES };
  private unacked = 0;
  /** Bytes of appends accepted but not yet written: they count against maxBytes. */
  private pendingBytes = 0;
  private pending: PendingAppend[] = [];
  private writing: Promise<void> | null = null;
  /**
   * `ack` replacing a wholly consumed active segment. Writes wait for it: a write
   * that started on the old segment and finished after the switch would be deleted
   * with it, and its length added to the new segment, leaving a hole of zeros.
   */
  private rotating: Promise<void> | null = null;
  private dirty = false;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private closed = false;
  recovery: SpoolRecovery = { records: 0, dropped: 0, droppedBytes: 0 };

  private constructor(
    readonly options: DiskSpoolOptions,
    private readonly log: Logger,
  ) {}

  /** Opens (or creates) the spool in `options.dir`, recovering what a previous process left. */
  static async open(options: DiskSpoolOptions, logger: Logger): Promise<DiskSpool> {
    const spool = new DiskSpool(options, logger.child({ component: 'disk-spool', dir: options.dir }));
    try {
      await fs.promises.mkdir(options.dir, { recursive: true, mode: 0o700 });
      await spool.lock();
      await spool.recover();
      await spool.startSegment(spool.lastSeq() + 1);
    } catch (e) {
      if (e instanceof DockguardError) throw e;
      throw new DockguardError({
        stage: 'io',
        code: 'IO_READ',
        message: `cannot open the spool in ${options.dir}: ${(e as Error).message}`,
        cause: e,
      });
    }
    if (options.fsync === 'interval') {
      spool.fsyncTimer = setInterval(() => void spool.syncIfDirty(), options.fsyncIntervalMs);
      spool.fsyncTimer.unref();
    }
    return spool;
  }

  /** Unacknowledged records (appended, including those still being written). */
  get records(): number {
    return this.unacked;
  }

  /** Bytes the spool holds on disk, plus accepted appends not yet written. */
  get bytes(): number {
    let n = this.pendingBytes;
    for (const s of this.segments) n += s.size;
    return n;
  }

  isEmpty(): boolean {
    return this.unacked === 0;
  }

  /** Appends records as one unit; rejects with SPOOL_FULL (retriable) when they do not fit. */
  append(records: readonly ProducerRecord[]): Promise<void> {
    if (this.closed)
      return Promise.reject(
        new DockguardError({ stage: 'io', code: 'SPOOL_CORRUPT', message: `spool ${this.options.dir} is closed` }),
      );
    if (records.length === 0) return Promise.resolve();
    const data = frameRecords(records);
    // Decided now, synchronously, so that refusals and acceptances keep call order.
    if (this.bytes + data.length > this.options.maxBytes)
      return Promise.reject(
        new DockguardError({
          stage: 'runtime',
          code: 'SPOOL_FULL',
          message: `spool ${this.options.dir} holds ${this.bytes} of ${this.options.maxBytes} bytes; ${records.length} records refused`,
          retriable: true,
        }),
      );
    this.pendingBytes += data.length;
    this.unacked += records.length;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ data, count: records.length, resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  /** Group commit: every append queued meanwhile goes out in one write (and one fsync). */
  private async writeLoop(): Promise<void> {
    while (this.rotating) await this.rotating;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        let chunk: Buffer[] = [];
        let chunkBytes = 0;
        for (const p of batch) {
          if (needsRotation(this.active.seg.size + chunkBytes, p.data.length, this.options.segmentBytes)) {
            await this.writeChunk(chunk, chunkBytes);
            chunk = [];
            chunkBytes = 0;
            await this.startSegment(this.active.seg.seq + 1);
          }
          chunk.push(p.data);
          chunkBytes += p.data.length;
        }
        await this.writeChunk(chunk, chunkBytes);
        if (this.options.fsync === 'always') await this.active.fh.datasync();
        else this.dirty = true;
        for (const p of batch) p.resolve();
      } catch (e) {
        // A failed write leaves the spool's end unknown: stop accepting rather than
        // risk interleaving a partial frame with later ones.
        this.closed = true;
        const err = new DockguardError({
          stage: 'io',
          code: 'SPOOL_CORRUPT',
          message: `writing the spool failed: ${(e as Error).message}`,
          cause: e,
        });
        for (const p of [...batch, ...this.pending]) {
          this.unacked -= p.count;
          p.reject(err);
        }
        this.pending = [];
        this.pendingBytes = 0;
      }
    }
    this.writing = null;
  }

  private async writeChunk(chunk: Buffer[], bytes: number): Promise<void> {
    if (bytes === 0) return;
    const data = chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, bytes);
    const { seg, fh } = this.active;
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await fh.write(data, done, data.length - done, seg.size + done);
      done += bytesWritten;
    }
    seg.size += bytes;
    this.pendingBytes -= bytes;
  }

  /** The oldest unacknowledged records, at most maxRecords (and about maxBytes). Empty when there are none. */
  async read(maxRecords: number, maxBytes = 8 * 1024 * 1024): Promise<SpoolBatch> {
    const records: ProducerRecord[] = [];
    let skipped = 0;
    let pos = this.normalize(this.cursor);
    let bytes = 0;
    while (records.length < maxRecords && bytes < maxBytes) {
      const seg = this.segments.find((s) => s.seq === pos.seq);
      if (!seg || pos.offset >= seg.size) break;
      const want = Math.min(seg.size - pos.offset, READ_CHUNK);
      const buf = await readAt(seg.file, pos.offset, want);
      const scan = scanFrames(buf, 0, maxRecords - records.length);
      for (const f of scan.frames) {
        const r = this.decode(f.payload, seg.file, pos.offset + f.offset);
        if (r) records.push(r);
        else skipped++;
      }
      bytes += scan.end;
      if (scan.frames.length === 0 && !scan.full) {
        if (scan.stop === 'short' && want < seg.size - pos.offset) {
          // One frame larger than the window: read exactly it.
          const len = buf.readUInt32BE(0);
          const whole = await readAt(seg.file, pos.offset, 8 + len);
          const one = scanFrames(whole, 0, 1);
          if (one.frames.length === 1) {
            const r = this.decode(one.frames[0]!.payload, seg.file, pos.offset);
            if (r) records.push(r);
            else skipped++;
            pos = this.normalize({ seq: pos.seq, offset: pos.offset + one.end });
            bytes += one.end;
            continue;
          }
        }
        // Damage inside data this process wrote and CRC-checked on open: the disk
        // changed under us. Skip the rest of the segment, loudly.
        const lost = seg.size - pos.offset;
        this.log.error(
          { file: seg.file, offset: pos.offset, bytes: lost, code: 'SPOOL_CORRUPT' },
          'spool segment damaged while reading; the rest of the segment is skipped',
        );
        this.recovery.dropped++;
        this.recovery.droppedBytes += lost;
        pos = this.normalize({ seq: pos.seq, offset: seg.size });
        continue;
      }
      pos = this.normalize({ seq: pos.seq, offset: pos.offset + scan.end });
    }
    return { records, skipped, end: pos };
  }

  /** A frame whose CRC holds but which is not a record (written so by a bug): skipped, loudly, not thrown at the drain. */
  private decode(payload: Buffer, file: string, offset: number): ProducerRecord | null {
    try {
      return decodeRecord(payload);
    } catch (e) {
      this.log.error({ file, offset, err: e, code: 'SPOOL_CORRUPT' }, 'spool frame is not a record; skipped');
      return null;
    }
  }

  /** Frees a batch returned by `read`: Kafka has it. */
  async ack(batch: SpoolBatch): Promise<void> {
    if (batch.records.length === 0 && batch.skipped === 0) return;
    this.cursor = this.normalize(batch.end);
    this.unacked -= batch.records.length + batch.skipped;
    this.recovery.dropped += batch.skipped;
    for (let first = this.segments[0]; first && first.seq < this.cursor.seq; first = this.segments[0]) {
      this.segments.shift();
      await fs.promises.rm(first.file, { force: true });
    }
    // Everything consumed, nothing being written: start afresh so the consumed
    // active segment does not keep counting against maxBytes.
    const a = this.active.seg;
    if (this.cursor.seq === a.seq && this.cursor.offset >= a.size && !this.writing && !this.rotating) {
      // Synchronously after the check: an append arriving from here on waits for it.
      this.rotating = this.replaceConsumed(a).finally(() => (this.rotating = null));
      await this.rotating;
    }
    await this.saveCursor();
  }

  private async replaceConsumed(a: Segment): Promise<void> {
    await this.startSegment(a.seq + 1);
    this.cursor = { seq: a.seq + 1, offset: SEGMENT_HEADER_BYTES };
    this.segments.splice(this.segments.indexOf(a), 1);
    await fs.promises.rm(a.file, { force: true });
  }

  /** A position at the end of a finished segment is the start of the next one. */
  private normalize(pos: SpoolPosition): SpoolPosition {
    let p = pos;
    for (;;) {
      const i = this.segments.findIndex((s) => s.seq === p.seq);
      const seg = this.segments[i];
      const next = this.segments[i + 1];
      if (i < 0) {
        const first = this.segments.find((s) => s.seq > p.seq);
        return first ? { seq: first.seq, offset: SEGMENT_HEADER_BYTES } : p;
      }
      if (seg && next && p.offset >= seg.size && seg !== this.active.seg) {
        p = { seq: next.seq, offset: SEGMENT_HEADER_BYTES };
        continue;
      }
      return p;
    }
  }

  private lastSeq(): number {
    return this.segments.length ? this.segments[this.segments.length - 1]!.seq : 0;
  }

  private async startSegment(seq: number): Promise<void> {
    const file = path.join(this.options.dir, segmentFileName(seq));
    const fh = await fs.promises.open(file, 'wx', 0o600);
    await fh.write(SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0);
    const old = this.active;
    const seg: Segment = { seq, file, size: SEGMENT_HEADER_BYTES };
    this.segments.push(seg);
    this.active = { seg, fh };
    if (old) {
      if (this.options.fsync !== 'never') await old.fh.datasync();
      await old.fh.close();
    }
    // The new file's directory entry must survive a machine crash too.
    if (this.options.fsync !== 'never') {
      await fh.datasync();
      await syncDir(this.options.dir);
    }
  }

  private async syncIfDirty(): Promise<void> {
    if (!this.dirty || this.closed) return;
    this.dirty = false;
    await this.active.fh.datasync().catch((e: unknown) => this.log.warn({ err: e }, 'spool fsync failed'));
  }

  /** Reads every segment, keeps the intact records, truncates torn tails, deletes consumed segments. */
  private async recover(): Promise<void> {
    const names = (await fs.promises.readdir(this.options.dir))
      .map((n) => ({ n, seq: parseSegmentFileName(n) }))
      .filter((x): x is { n: string; seq: number } => x.seq !== null)
      .sort((a, b) => a.seq - b.seq);
    this.cursor = await this.loadCursor();
    for (const { n, seq } of names) {
      const file = path.join(this.options.dir, n);
      const buf = await fs.promises.readFile(file);
      if (seq < this.cursor.seq || (!hasSegmentHeader(buf) && buf.length < SEGMENT_HEADER_BYTES)) {
        // Fully acknowledged, or created by a crash before its header was written.
        await fs.promises.rm(file, { force: true });
        continue;
      }
      if (!hasSegmentHeader(buf)) {
        this.log.error({ file, code: 'SPOOL_CORRUPT' }, 'not a spool segment (bad header); moved aside');
        await fs.promises.rename(file, `${file}.corrupt`);
        this.recovery.dropped++;
        this.recovery.droppedBytes += buf.length;
        continue;
      }
      const scan = scanFrames(buf, SEGMENT_HEADER_BYTES);
      const from = seq === this.cursor.seq ? this.cursor.offset : SEGMENT_HEADER_BYTES;
      const intact = scan.frames.filter((f) => f.offset >= from).length;
      if (scan.stop !== 'end') {
        const lost = buf.length - scan.end;
        const last = names[names.length - 1]!.seq === seq;
        this.log[last ? 'warn' : 'error'](
          { file, offset: scan.end, bytes: lost, reason: scan.stop, code: 'SPOOL_CORRUPT' },
          last
            ? 'torn record at the end of the spool (a crash during a write); dropped'
            : 'damaged record inside the spool; the rest of the segment is dropped',
        );
        this.recovery.dropped++;
        this.recovery.droppedBytes += lost;
        await fs.promises.truncate(file, scan.end);
      }
      if (intact === 0) {
        // Nothing left to send in it (empty, or acknowledged up to its end).
        await fs.promises.rm(file, { force: true });
        continue;
      }
      this.segments.push({ seq, file, size: scan.end });
      this.unacked += intact;
      this.recovery.records += intact;
    }
    if (this.recovery.records > 0 || this.recovery.dropped > 0)
      this.log.info({ ...this.recovery, segments: this.segments.length }, 'spool recovered');
  }

  private async loadCursor(): Promise<SpoolPosition> {
    try {
      const c = JSON.parse(await fs.promises.readFile(path.join(this.options.dir, 'cursor'), 'utf8')) as SpoolPosition;
      if (Number.isInteger(c.seq) && Number.isInteger(c.offset) && c.offset >= SEGMENT_HEADER_BYTES) return c;
    } catch {
      // none yet, or damaged: start from the oldest segment (duplicates, no loss)
    }
    return { seq: 0, offset: SEGMENT_HEADER_BYTES };
  }

  private async saveCursor(): Promise<void> {
    const file = path.join(this.options.dir, 'cursor');
    await fs.promises.writeFile(`${file}.tmp`, JSON.stringify(this.cursor), { mode: 0o600 });
    await fs.promises.rename(`${file}.tmp`, file);
  }

  /** One owner per directory: two processes appending to one spool would interleave frames. */
  private async lock(): Promise<void> {
    const file = path.join(this.options.dir, 'LOCK');
    try {
      const pid = Number((await fs.promises.readFile(file, 'utf8')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new DockguardError({
          stage: 'config',
          code: 'CONFIG_INVALID',
          message: `spool directory ${this.options.dir} is in use by process ${pid}; give each collector its own spool.dir`,
        });
    } catch (e) {
      if (e instanceof DockguardError) throw e;
    }
    await fs.promises.writeFile(file, `${process.pid}\n`, { mode: 0o600 });
  }

  /** Waits for pending writes, syncs, releases the directory. */
  async close(): Promise<void> {
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    while (this.writing || this.rotating) await (this.writing ?? this.rotating);
    if (this.closed) return;
    this.closed = true;
    if (this.options.fsync !== 'never') await this.active.fh.datasync().catch(() => undefined);
    await this.active.fh.close();
    await fs.promises.rm(path.join(this.options.dir, 'LOCK'), { force: true });
  }
}

async function readAt(file: string, offset: number, length: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
