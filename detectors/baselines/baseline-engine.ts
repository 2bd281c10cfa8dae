/**
 * Runs the loaded baselines over one event: filter, key, the kind's judgement
 * against the key's state, and the deviations to report. Pure: state lives in the
 * injected BaselineStore, time is the event time, the GeoIP table is a parameter.
 */
import { canonicalJson } from '../findings/hash';
import { clientKey } from '../findings/client-key';
import { fieldString, fieldValues } from '../findings/event-fields';
import type { BaselineDef } from './baseline-config';
import { judgeFirstSeen, judgeRate, judgeTime, type Judgement } from './baseline-kinds';
import type { BaselineState, BaselineStore, FirstSeenState, RateState, TimeState } from './baseline-state';
import { GeoIpTable } from './geoip';

export interface Deviation extends Judgement {
  def: BaselineDef;
  /** The key, as canonical JSON of field → value ('{}' for a baseline without key fields). */
  key: string;
}

const EMPTY_GEO = new GeoIpTable();
const KEY_MEMO_MAX = 4096;

type Memo = Map<string, readonly string[]>;

/**
 * `{"field":value}` as one flat string: a key is kept for as long as its state, and
 * a concatenation would keep its pieces (a cons string, 32 B more per key).
 */
function flatKey(field: string, value: unknown): string {
  return ['{', JSON.stringify(field), ':', JSON.stringify(value), '}'].join('');
}

// internal and unlisted addresses have no geography to deviate from
const geoQuiet = (v: string): boolean => v === 'private' || v === 'unknown';

export class BaselineEngine {
  /** This event's field values (emptied per event): the baselines mostly key by the same fields. */
  private readonly memo: Memo = new Map();
  /**
   * Key field → value → the key's canonical JSON, for one-field keys: the same few
   * clients and hosts recur on every event, and a key built once also keeps its
   * string hash for the store's map probes. Bounded: emptied when full.
   */
  private readonly keyMemo = new Map<string, Map<string, string>>();

  constructor(
    readonly defs: readonly BaselineDef[],
    private readonly geo: GeoIpTable = EMPTY_GEO,
  ) {}

  /**
   * Values of a key or value field: `client` and `geo.*` are computed, the rest read
   * from the event. `memo` holds this event's answers: the baselines mostly key by
   * the same fields (client), which are then resolved once per event, not per baseline.
   */
  private valuesOf(event: unknown, field: string, memo?: Map<string, readonly string[]>): readonly string[] {
    const known = memo?.get(field);
    if (known) return known;
    let vals: readonly string[];
    if (field === 'client') vals = [clientKey(event)];
    else if (field === 'geo.country' || field === 'geo.asn') {
      const g = this.geo.lookup(fieldString(event, 'source.ip'));
      vals = [field === 'geo.country' ? g.country : g.asn];
    } else vals = fieldValues(event, field);
    memo?.set(field, vals);
    return vals;
  }

  private admits(def: BaselineDef, event: unknown, memo?: Memo): boolean {
    for (const [field, accepted] of def.filter) {
      const vals = this.valuesOf(event, field, memo);
      let any = false;
      for (const v of vals)
        if (accepted.includes(v)) {
          any = true;
          break;
        }
      if (!any) return false;
    }
    return true;
  }

  /** The key as canonical JSON of key field → value (null when absent, a list when several). */
  keyOf(def: BaselineDef, event: unknown, memo?: Map<string, readonly string[]>): string {
    if (def.key.length === 0) return '{}';
    // one field with one value (the usual case): the canonical form built directly, once per value
    if (def.key.length === 1) {
      const f = def.key[0] as string;
      const vals = this.valuesOf(event, f, memo);
      if (vals.length === 1) return this.oneKey(f, vals[0] as string);
      return flatKey(f, vals.length === 0 ? null : vals);
    }
    const k: Record<string, string | readonly string[] | null> = {};
    for (const f of def.key) {
      const vals = this.valuesOf(event, f, memo);
      k[f] = vals.length === 0 ? null : vals.length === 1 ? (vals[0] as string) : vals;
    }
    return canonicalJson(k);
  }

  private oneKey(field: string, value: string): string {
    let m = this.keyMemo.get(field);
    if (!m) {
      m = new Map();
      this.keyMemo.set(field, m);
    }
    let key = m.get(value);
    if (key === undefined) {
      key = flatKey(field, value);
      if (m.size >= KEY_MEMO_MAX) m.clear();
      m.set(value, key);
    }
    return key;
  }

  evaluate(event: unknown, t: number, store: BaselineStore): Deviation[] {
    const out: Deviation[] = [];
    const memo = this.memo;
    memo.clear();
    for (const def of this.defs) {
      if (def.filter.length > 0 && !this.admits(def, event, memo)) continue;
      const key = this.keyOf(def, event, memo);
      const prev = store.get(def.id, key);
      const s = this.judge(def, event, t, prev, store, memo);
      if (!s) continue;
      store.put(def.id, key, s, def.params.maxKeys);
      const judged = this.judged;
      if (judged.length === 0) continue;
      for (const j of judged) out.push({ ...j, def, key });
    }
    memo.clear(); // the event's values are not kept past the call
    return out;
  }

  /** Forgets keys idle longer than each baseline's key_ttl. */
  expire(now: number, store: BaselineStore): void {
    for (const def of this.defs) store.expire(def.id, now - def.params.keyTtlMs);
  }

  /** The judgements of the last `judge` call (no object per call for the pair). */
  private judged: readonly Judgement[] = [];

  private judge(
    def: BaselineDef,
    event: unknown,
    t: number,
    prev: BaselineState | undefined,
    store: BaselineStore,
    memo: Memo,
  ): BaselineState | undefined {
    const p = def.params;
    switch (def.kind) {
      case 'first_seen':
      case 'geography': {
        let values: readonly string[];
        let quiet: ((v: string) => boolean) | undefined;
        if (def.kind === 'geography') {
          if (fieldString(event, 'source.ip') === null) return undefined; // no address, no place
          values = this.valuesOf(event, def.value === 'asn' ? 'geo.asn' : 'geo.country', memo);
          quiet = geoQuiet;
        } else {
          values = this.valuesOf(event, def.value, memo);
          // distinct values, at most 16 (one value: nothing to do)
          if (values.length > 1) values = [...new Set(values)].slice(0, 16);
        }
        if (values.length === 0) return undefined;
        const s: FirstSeenState = prev?.k === 'f' ? prev : { k: 'f', c: t, n: 0, l: t, v: new Map() };
        this.judged = judgeFirstSeen(p, s, values, t, store.counters, quiet);
        return s;
      }
      case 'rate': {
        const s: RateState =
          prev?.k === 'r'
            ? prev
            : { k: 'r', c: t, n: 0, l: t, w: Math.floor(t / p.windowMs), x: 0, m: 0, s: 0, h: 0, a: -1 };
        this.judged = judgeRate(p, s, t);
        return s;
      }
      case 'time_of_access': {
        const s: TimeState = prev?.k === 't' ? prev : { k: 't', c: t, n: 0, l: t, a: -1, h: new Uint8Array(168) };
        this.judged = judgeTime(p, s, t);
        return s;
      }
    }
  }
}
