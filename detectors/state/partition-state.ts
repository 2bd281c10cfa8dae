/**
 * Everything the detectors remember for one input partition: correlation windows,
 * baseline keys, the event ids behind the event references that correlation hits
 * keep, and the partition's event-time watermark.
 *
 * Two ways to persist it, both exact:
 * - `snapshot()` / `PartitionState.restore()`: one versioned, gzipped buffer.
 * - `drainChanges()` / `applyChange()`: the changed entries since the last drain,
 *   keyed `<partition>/<kind>/<state key>` (kind: corr, base, ref, meta), value JSON
 *   text or null for a deletion — what the detector service writes to a compacted
 *   changelog topic and replays on start, Kafka Streams style. Changes come in
 *   order of last change, which is the LRU order the bounded stores rebuild.
 *
 * Correlation hits keep only what the correlation needs (StoredHit: time, event
 * references, rule index, value): never the event. Event references are input
 * offsets; `refs` maps those still referenced to event id and time, for findings.
 */
import { gunzipSync, gzipSync } from 'zlib';
import { BaselineStore } from '../baselines/baseline-state';
import { DockguardError } from '../errors';
import type { GroupState, StoredHit } from '../sigma/correlation';
import { DirtyKeys } from './dirty-keys';
import { TrackedCorrelationState } from './tracked-correlation-state';

export interface EventRefInfo {
  /** event id */
  i: string;
  /** event time */
  t: number;
}

export interface PartitionMeta {
  /** newest event time seen (the watermark) */
  w: number;
  /** event time of the last sweep of idle baseline keys */
  x: number;
  /** events beyond the allowed lateness (matched statelessly, not folded into state) */
  late: number;
}

export interface StateChange {
  key: string;
  value: string | null;
}

export interface PartitionStateOptions {
  maxCorrelationKeys?: number;
}

const MAGIC = 'DGS';
const FORMAT = 1;

function restoreError(message: string, cause?: unknown): DockguardError {
  return new DockguardError({ stage: 'runtime', code: 'STATE_RESTORE', message, cause });
}

export class PartitionState {
  readonly correlation: TrackedCorrelationState;
  readonly baselines = new BaselineStore();
  readonly refs = new Map<number, EventRefInfo>();
  meta: PartitionMeta = { w: -Infinity, x: -Infinity, late: 0 };
  /** References changed since the last drain: one made and forgotten before the next, most of them, costs no record. */
  private readonly dirtyRefs = new DirtyKeys<number>();
  private metaDirty = false;
  private liveRefs = 0;

  constructor(
    readonly partition: number,
    options: PartitionStateOptions = {},
  ) {
    this.correlation = new TrackedCorrelationState(options.maxCorrelationKeys);
  }

  setMeta(m: PartitionMeta): void {
    if (m.w !== this.meta.w || m.x !== this.meta.x || m.late !== this.meta.late) this.metaDirty = true;
    this.meta = m;
  }

  /** setMeta without a new object: the watermark moves on nearly every event. */
  updateMeta(w: number, x: number, late: number): void {
    const m = this.meta;
    if (w === m.w && x === m.x && late === m.late) return;
    m.w = w;
    m.x = x;
    m.late = late;
    this.metaDirty = true;
  }

  addRef(ref: number, info: EventRefInfo): void {
    const made = !this.refs.has(ref);
    this.refs.set(ref, info);
    this.dirtyRefs.mark(ref, made);
    // forget the references no correlation window holds any more, in amortised O(1)
    if (this.refs.size > 2 * this.liveRefs + 1024) this.collectRefs();
  }

  collectRefs(): void {
    const live = new Set<number>();
    for (const g of this.correlation.values()) for (const h of g.hits as StoredHit[]) for (const e of h.e) live.add(e);
    for (const ref of this.refs.keys())
      if (!live.has(ref)) {
        this.refs.delete(ref);
        this.dirtyRefs.mark(ref);
      }
    this.liveRefs = this.refs.size;
  }

  drainChanges(): StateChange[] {
    const p = this.partition;
    const out: StateChange[] = [];
    for (const c of this.correlation.drain()) out.push({ key: `${p}/corr/${c.key}`, value: c.value });
    for (const c of this.baselines.drain()) out.push({ key: `${p}/base/${c.key}`, value: c.value });
    for (const [ref, held] of this.dirtyRefs.take()) {
      const r = this.refs.get(ref);
      if (r !== undefined) out.push({ key: `${p}/ref/${ref}`, value: JSON.stringify(r) });
      else if (held) out.push({ key: `${p}/ref/${ref}`, value: null });
    }
    if (this.metaDirty) out.push({ key: `${p}/meta/meta`, value: JSON.stringify(encodeMeta(this.meta)) });
    this.metaDirty = false;
    return out;
  }

  /** Applies one changelog record (in topic order). Records of other partitions are an error. */
  applyChange(key: string, value: string | null): void {
    const a = key.indexOf('/');
    const b = key.indexOf('/', a + 1);
    if (a < 0 || b < 0 || key.slice(0, a) !== String(this.partition))
      throw restoreError(`changelog key ${key} does not belong to partition ${this.partition}`);
    const kind = key.slice(a + 1, b);
    const rest = key.slice(b + 1);
    try {
      if (kind === 'corr') this.correlation.apply(rest, value);
      else if (kind === 'base') this.baselines.apply(rest, value);
      else if (kind === 'ref') {
        const ref = Number(rest);
        // restored, not dirty: a later change of it is of a key the changelog holds
        if (value === null) this.refs.delete(ref);
        else this.refs.set(ref, parseRef(JSON.parse(value)));
      } else if (kind === 'meta') {
        if (value !== null) this.meta = decodeMeta(JSON.parse(value));
      } else throw restoreError(`unknown state kind in changelog key ${key}`);
    } catch (e) {
      if (e instanceof DockguardError) throw e;
      throw restoreError(`changelog record ${key} is not valid`, e);
    }
    this.liveRefs = this.refs.size;
  }

  snapshot(): Buffer {
    const corr: [string, GroupState][] = [];
    for (const k of this.correlation.keys()) corr.push([k, this.correlation.get(k) as GroupState]);
    const base: [string, string][] = [];
    for (const c of this.baselines.encoded()) base.push([c.key, c.value]);
    const refs: [number, string, number][] = [];
    for (const [ref, r] of this.refs) refs.push([ref, r.i, r.t]);
    const body = JSON.stringify({ v: FORMAT, p: this.partition, meta: encodeMeta(this.meta), corr, base, refs });
    return Buffer.concat([Buffer.from(`${MAGIC}${FORMAT}`), gzipSync(body)]);
  }

  static restore(partition: number, buf: Buffer, options: PartitionStateOptions = {}): PartitionState {
    const head = buf.subarray(0, MAGIC.length + 1).toString('latin1');
    if (head !== `${MAGIC}${FORMAT}`) throw restoreError(`not a version-${FORMAT} partition snapshot`);
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(gunzipSync(buf.subarray(MAGIC.length + 1)).toString('utf8')) as Record<string, unknown>;
    } catch (e) {
      throw restoreError('the partition snapshot is damaged', e);
    }
    if (o['p'] !== partition) throw restoreError(`snapshot of partition ${String(o['p'])}, not ${partition}`);
    const s = new PartitionState(partition, options);
    try {
      for (const [k, g] of o['corr'] as [string, GroupState][]) s.correlation.apply(k, g);
      for (const [k, v] of o['base'] as [string, string][]) s.baselines.apply(k, v);
      // whether a changelog holds them is not known: their deletions are written (a needless one is harmless)
      for (const [ref, i, t] of o['refs'] as [number, string, number][]) s.refs.set(ref, parseRef({ i, t }));
      s.meta = decodeMeta(o['meta']);
    } catch (e) {
      if (e instanceof DockguardError) throw e;
      throw restoreError('the partition snapshot is not valid', e);
    }
    s.liveRefs = s.refs.size;
    return s;
  }
}

// JSON has no -Infinity: an unset watermark is written as null
function encodeMeta(m: PartitionMeta): Record<string, number | null> {
  return { w: Number.isFinite(m.w) ? m.w : null, x: Number.isFinite(m.x) ? m.x : null, late: m.late };
}

function decodeMeta(v: unknown): PartitionMeta {
  const o = v as Record<string, unknown>;
  const n = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : -Infinity);
  if (o === null || typeof o !== 'object' || typeof o['late'] !== 'number') throw restoreError('bad partition meta');
  return { w: n(o['w']), x: n(o['x']), late: o['late'] };
}

function parseRef(v: unknown): EventRefInfo {
  const o = v as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || typeof o['i'] !== 'string' || typeof o['t'] !== 'number')
    throw restoreError('bad event reference');
  return { i: o['i'], t: o['t'] };
}
