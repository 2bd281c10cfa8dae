/**
 * Runs the loaded baselines over one event: filter, key, the kind's judgement
 * against the key's state, and the deviations to report. Pure: state lives in the
 * injected BaselineStore, time is the event time, the GeoIP table is a parameter.
 */
import { canonicalJson } from '../findings/hash';
import { clientKey } from '../findings/client-key';
import { fieldReader, fieldString } from '../findings/event-fields';
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
const NO_DEVIATIONS: readonly Deviation[] = Object.freeze([]);

/** A field's values for this event: a lone value as itself (no array per event for the usual case). */
type Vals = string | readonly string[];

/**
 * A baseline with its fields resolved to slots of the engine's per-event value
 * table: the baselines mostly read the same fields (client, host.name, the
 * endpoint), each read once per event, without a map per event.
 */
interface Plan {
  def: BaselineDef;
  filter: readonly (readonly [slot: number, accepted: readonly string[]])[];
  keyFields: readonly string[];
  keySlots: readonly number[];
  /** first_seen: the value field's slot; geography: the country or ASN slot; else -1 */
  value: number;
}

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
  private readonly plans: Plan[];
  /** slot → how to read the field from an event (computed fields: client, geo.*) */
  private readonly readers: ((event: unknown) => Vals)[] = [];
  private readonly slots = new Map<string, number>();
  /** This event's values by slot (undefined: not read yet); emptied per event, so nothing is kept past a call. */
  private readonly vals: (Vals | undefined)[] = [];
  /** This event's one-field keys by slot (rate and time_of_access both key by client). */
  private readonly keys: (string | undefined)[] = [];
  /** This event's source.ip (undefined: not read yet): geography and geo.* fields ask for it. */
  private ip: string | null | undefined = undefined;
  /** A lone value as a list for judgeFirstSeen (which keeps neither the list nor the value). */
  private readonly one: string[] = [''];
  /**
   * Per key field's slot: value → the key's canonical JSON, for one-field keys: the
   * same few clients and hosts recur on every event, and a key built once also keeps
   * its string hash for the store's map probes. Bounded: emptied when full.
   */
  private readonly keyMemo: Map<string, string>[] = [];

  constructor(
    readonly defs: readonly BaselineDef[],
    private readonly geo: GeoIpTable = EMPTY_GEO,
  ) {
    this.plans = defs.map((def) => this.plan(def));
  }

  private plan(def: BaselineDef): Plan {
    return {
      def,
      filter: def.filter.map(([field, accepted]) => [this.slot(field), accepted] as const),
      keyFields: def.key,
      keySlots: def.key.map((f) => this.slot(f)),
      value:
        def.kind === 'geography'
          ? this.slot(def.value === 'asn' ? 'geo.asn' : 'geo.country')
          : def.kind === 'first_seen'
            ? this.slot(def.value)
            : -1,
    };
  }

  /** The key of `def` (one of this engine's, or not) for an event, as evaluate computes it. */
  keyOf(def: BaselineDef, event: unknown): string {
    const plan = this.plans.find((p) => p.def === def) ?? this.plan(def);
    this.clear();
    const key = this.planKey(plan, event);
    this.clear();
    return key;
  }

  /**
   * The slot of a key, value or filter field: `client` and `geo.*` are computed, the
   * rest read from the event (a lone string as itself, else as fieldValues).
   */
  private slot(field: string): number {
    const known = this.slots.get(field);
    if (known !== undefined) return known;
    let read: (event: unknown) => Vals;
    if (field === 'client') read = clientKey;
    else if (field === 'geo.country') read = (e) => this.geo.lookup(this.sourceIp(e)).country;
    else if (field === 'geo.asn') read = (e) => this.geo.lookup(this.sourceIp(e)).asn;
    else read = fieldReader(field);
    const slot = this.readers.length;
    this.readers.push(read);
    this.vals.push(undefined);
    this.keys.push(undefined);
    this.keyMemo.push(new Map());
    this.slots.set(field, slot);
    return slot;
  }

  /** Forgets this event's values (a loop: cheaper than fill for a handful of slots). */
  private clear(): void {
    const vals = this.vals;
    const keys = this.keys;
    for (let i = 0; i < vals.length; i++) {
      vals[i] = undefined;
      keys[i] = undefined;
    }
    this.ip = undefined;
    this.one[0] = '';
  }

  private sourceIp(event: unknown): string | null {
    if (this.ip === undefined) this.ip = fieldString(event, 'source.ip');
    return this.ip;
  }

  /** This event's values of the slot's field, read on first use. */
  private read(event: unknown, slot: number): Vals {
    let v = this.vals[slot];
    if (v === undefined) {
      v = (this.readers[slot] as (event: unknown) => Vals)(event);
      this.vals[slot] = v;
    }
    return v;
  }

  private admits(plan: Plan, event: unknown): boolean {
    for (const [slot, accepted] of plan.filter) {
      const vals = this.read(event, slot);
      if (typeof vals === 'string') {
        if (!accepted.includes(vals)) return false;
        continue;
      }
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
  private planKey(plan: Plan, event: unknown): string {
    const slots = plan.keySlots;
    if (slots.length === 0) return '{}';
    // one field with one value (the usual case): the canonical form built directly, once per value
    if (slots.length === 1) {
      const slot = slots[0] as number;
      let key = this.keys[slot];
      if (key === undefined) {
        const f = plan.keyFields[0] as string;
        const vals = this.read(event, slot);
        if (typeof vals === 'string') key = this.oneKey(f, slot, vals);
        else if (vals.length === 1) key = this.oneKey(f, slot, vals[0] as string);
        else key = flatKey(f, vals.length === 0 ? null : vals);
        this.keys[slot] = key;
      }
      return key;
    }
    const k: Record<string, string | readonly string[] | null> = {};
    for (let i = 0; i < slots.length; i++) {
      const vals = this.read(event, slots[i] as number);
      k[plan.keyFields[i] as string] =
        typeof vals === 'string' ? vals : vals.length === 0 ? null : vals.length === 1 ? (vals[0] as string) : vals;
    }
    return canonicalJson(k);
  }

  private oneKey(field: string, slot: number, value: string): string {
    const m = this.keyMemo[slot] as Map<string, string>;
    let key = m.get(value);
    if (key === undefined) {
      key = flatKey(field, value);
      if (m.size >= KEY_MEMO_MAX) m.clear();
      m.set(value, key);
    }
    return key;
  }

  /** The deviations of this event (a shared empty list when none: the usual case; never to be written to). */
  evaluate(event: unknown, t: number, store: BaselineStore): readonly Deviation[] {
    let out: Deviation[] | undefined;
    this.clear(); // after an exception in a previous call
    for (const plan of this.plans) {
      const def = plan.def;
      if (plan.filter.length > 0 && !this.admits(plan, event)) continue;
      const key = this.planKey(plan, event);
      const prev = store.get(def.id, key);
      const s = this.judge(plan, event, t, prev, store);
      if (!s) continue;
      store.put(def.id, key, s, def.params.maxKeys);
      const judged = this.judged;
      if (judged.length === 0) continue;
      for (const j of judged) (out ??= []).push({ ...j, def, key });
    }
    this.clear(); // the event's values are not kept past the call
    return out ?? NO_DEVIATIONS;
  }

  /** Forgets keys idle longer than each baseline's key_ttl. */
  expire(now: number, store: BaselineStore): void {
    for (const def of this.defs) store.expire(def.id, now - def.params.keyTtlMs);
  }

  /** The judgements of the last `judge` call (no object per call for the pair). */
  private judged: readonly Judgement[] = [];

  private judge(
    plan: Plan,
    event: unknown,
    t: number,
    prev: BaselineState | undefined,
    store: BaselineStore,
  ): BaselineState | undefined {
    const def = plan.def;
    const p = def.params;
    switch (def.kind) {
      case 'first_seen':
      case 'geography': {
        let quiet: ((v: string) => boolean) | undefined;
        if (def.kind === 'geography') {
          if (this.sourceIp(event) === null) return undefined; // no address, no place
          quiet = geoQuiet;
        }
        const vals = this.read(event, plan.value);
        let values: readonly string[];
        if (typeof vals === 'string') {
          this.one[0] = vals;
          values = this.one;
        } else {
          values = vals;
          // distinct values, at most 16 (one value: nothing to do)
          if (def.kind === 'first_seen' && values.length > 1) values = [...new Set(values)].slice(0, 16);
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
