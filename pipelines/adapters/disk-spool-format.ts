/**
 * The on-disk format of the publisher's spool (disk-spool.ts), pure so it can be
 * tested without files.
 *
 * A segment file is an 8-byte header (`DGSPOOL` + format version 1) followed by
 * frames. A frame is the payload length (u32 big-endian), the CRC-32 of the
 * payload (u32 big-endian), then the payload. The payload is one Kafka record:
 *
 *   u16 topic length, topic (UTF-8)
 *   u8 key kind (0 bytes, 1 UTF-8 string), u32 key length, key
 *   u32 value length, value (length 0xffffffff: no value, a tombstone)
 *   u16 header count, then per header: u16 name length, name, u32 value length, value
 *
 * Why a CRC per frame: a crash in the middle of a write leaves a torn last frame
 * (a short payload, or a length written before its data, which the file system
 * may fill with zeros). Reading stops at the first frame whose length runs past
 * the end of the data or whose CRC does not match; everything before it is intact.
 */
import * as zlib from 'node:zlib';
import type { ProducerRecord } from './kafka-producer';

export const SEGMENT_MAGIC = Buffer.from('DGSPOOL\x01', 'latin1');
export const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length;
export const FRAME_HEADER_BYTES = 8;
/** A longer length field is damage, not a record (Kafka's own limit is far below). */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
/** The value length of a record without a value (a tombstone): no real length comes near it. */
const NO_VALUE = 0xffffffff;
/**
 * The smallest payload encodeRecord writes (empty topic, key and value, no
 * headers). Shorter is damage: a run of zero bytes (a hole in a sparse file)
 * reads as a frame of length 0 whose CRC-32, 0, matches.
 */
export const MIN_PAYLOAD_BYTES = 2 + 1 + 4 + 4 + 2;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as zlib and PNG): zlib's native one where Node has it (≥ 20.15). */
export function crc32(buf: Uint8Array): number {
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  return native ? native(buf) : crc32Table(buf);
}

export function crc32Table(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The payload of one record (without the frame header). */
export function encodeRecord(r: ProducerRecord): Buffer {
  const topic = Buffer.from(r.topic, 'utf8');
  const keyIsString = typeof r.key === 'string';
  const key = keyIsString ? Buffer.from(r.key as string, 'utf8') : (r.key as Buffer);
  const headers = Object.entries(r.headers ?? {}).map(
    ([k, v]) => [Buffer.from(k, 'utf8'), typeof v === 'string' ? Buffer.from(v, 'utf8') : v] as const,
  );
  if (topic.length > 0xffff || headers.length > 0xffff) throw new RangeError('topic name or header count too large');
  const value = r.value;
  let size = 2 + topic.length + 1 + 4 + key.length + 4 + (value === null ? 0 : value.length) + 2;
  for (const [k, v] of headers) {
    if (k.length > 0xffff) throw new RangeError('header name too long');
    size += 2 + k.length + 4 + v.length;
  }
  const out = Buffer.allocUnsafe(size);
  let o = out.writeUInt16BE(topic.length, 0);
  o += topic.copy(out, o);
  o = out.writeUInt8(keyIsString ? 1 : 0, o);
  o = out.writeUInt32BE(key.length, o);
  o += key.copy(out, o);
  if (value === null) o = out.writeUInt32BE(NO_VALUE, o);
  else {
    o = out.writeUInt32BE(value.length, o);
    o += value.copy(out, o);
  }
  o = out.writeUInt16BE(headers.length, o);
  for (const [k, v] of headers) {
    o = out.writeUInt16BE(k.length, o);
    o += k.copy(out, o);
    o = out.writeUInt32BE(v.length, o);
    o += v.copy(out, o);
  }
  return out;
}

/** Inverse of encodeRecord; throws RangeError on a payload that is not one record. */
export function decodeRecord(p: Buffer): ProducerRecord {
  let o = 0;
  const need = (n: number): void => {
    if (o + n > p.length) throw new RangeError(`record payload truncated at byte ${o}`);
  };
  const bytes = (n: number): Buffer => {
    need(n);
    const b = p.subarray(o, o + n);
    o += n;
    return b;
  };
  const u8 = (): number => (need(1), p.readUInt8((o += 1) - 1));
  const u16 = (): number => (need(2), p.readUInt16BE((o += 2) - 2));
  const u32 = (): number => (need(4), p.readUInt32BE((o += 4) - 4));
  const topic = bytes(u16()).toString('utf8');
  const kind = u8();
  const keyBytes = bytes(u32());
  // Copies: a record outlives the read buffer it was parsed from.
  const key = kind === 1 ? keyBytes.toString('utf8') : Buffer.from(keyBytes);
  const valueLength = u32();
  const value = valueLength === NO_VALUE ? null : Buffer.from(bytes(valueLength));
  const n = u16();
  const record: ProducerRecord = { topic, key, value };
  if (n > 0) {
    const headers: Record<string, Buffer> = {};
    for (let i = 0; i < n; i++) {
      const name = bytes(u16()).toString('utf8');
      headers[name] = Buffer.from(bytes(u32()));
    }
    record.headers = headers;
  }
  if (o !== p.length) throw new RangeError(`${p.length - o} bytes after the record`);
  return record;
}

/** One frame: length, CRC, payload. */
export function frame(payload: Buffer): Buffer {
  if (payload.length > MAX_PAYLOAD_BYTES) throw new RangeError(`record of ${payload.length} bytes is too large`);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export function frameRecords(records: readonly ProducerRecord[]): Buffer {
  return Buffer.concat(records.map((r) => frame(encodeRecord(r))));
}

export interface ScannedFrame {
  /** Offset of the frame header within the scanned buffer. */
  offset: number;
  payload: Buffer;
}

export interface ScanResult {
  frames: ScannedFrame[];
  /** Offset just past the last intact frame. */
  end: number;
  /**
   * Why the scan stopped: `end` (the buffer ends on a frame boundary), `short`
   * (the last frame is incomplete: torn by a crash, or cut by the read window),
   * `crc` (a frame is complete but damaged), `length` (an impossible length:
   * too large, or shorter than any record).
   */
  stop: 'end' | 'short' | 'crc' | 'length';
  /** With maxFrames: true when the scan stopped because it had enough. */
  full: boolean;
}

/** Reads frames from `buf` starting at `start`, at most `maxFrames`, stopping at the first bad one. */
export function scanFrames(buf: Buffer, start = 0, maxFrames = Infinity): ScanResult {
  const frames: ScannedFrame[] = [];
  let o = start;
  while (o < buf.length) {
    if (frames.length >= maxFrames) return { frames, end: o, stop: 'end', full: true };
    if (o + FRAME_HEADER_BYTES > buf.length) return { frames, end: o, stop: 'short', full: false };
    const len = buf.readUInt32BE(o);
    if (len > MAX_PAYLOAD_BYTES || len < MIN_PAYLOAD_BYTES) return { frames, end: o, stop: 'length', full: false };
    if (o + FRAME_HEADER_BYTES + len > buf.length) return { frames, end: o, stop: 'short', full: false };
    const payload = buf.subarray(o + FRAME_HEADER_BYTES, o + FRAME_HEADER_BYTES + len);
    if (crc32(payload) !== buf.readUInt32BE(o + 4)) return { frames, end: o, stop: 'crc', full: false };
    frames.push({ offset: o, payload });
    o += FRAME_HEADER_BYTES + len;
  }
  return { frames, end: o, stop: 'end', full: false };
}

export function hasSegmentHeader(buf: Buffer): boolean {
  return buf.length >= SEGMENT_HEADER_BYTES && buf.subarray(0, SEGMENT_HEADER_BYTES).equals(SEGMENT_MAGIC);
}

/** Segment files are numbered; zero-padded so that a directory listing sorts them in order. */
export function segmentFileName(seq: number): string {
  return `${String(seq).padStart(16, '0')}.seg`;
}

export function parseSegmentFileName(name: string): number | null {
  const m = /^(\d{16})\.seg$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** Whether `bytes` more go to a new segment: never leave a segment empty, never grow one past segmentBytes. */
export function needsRotation(segmentSize: number, bytes: number, segmentBytes: number): boolean {
  return segmentSize > SEGMENT_HEADER_BYTES && segmentSize + bytes > segmentBytes;
}
