/**
 * Runs the loaded baselines over one event: filter, key, the kind's judgement
 * against the key's state, and the deviations to report. Pure: state lives in the
 * injected BaselineStore, time is the event time, the GeoIP table is a parameter.
 */
import { canonicalJson } from '../findings/hash';
import { clientKey } from '../findings/client-key';
import { fieldString, fieldStrings } from '../findings/event-fields';
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

export class BaselineEngine {
  constructor(
    readonly defs: readonly BaselineDef[],
    private readonly geo: GeoIpTable = EMPTY_GEO,
  ) {}

  /**
   * Values of a key or value field: `client` and `geo.*` are computed, the rest read
   * from the event. `memo` holds this event's answers: the baselines mostly key by
   * the same fields (client), which are then resolved once per event, not per baseline.
   */
  private valuesOf(event: unknown, field: string, memo?: Map<string, string[]>): string[] {
    const known = memo?.get(field);
    if (known) return known;
    let vals: string[];
    if (field === 'client') vals = [clientKey(event)];
    else if (field === 'geo.country' || field === 'geo.asn') {
      const g = this.geo.lookup(fieldString(event, 'source.ip'));
      vals = [field === 'geo.country' ? g.country : g.asn];
    } else vals = fieldStrings(event, field);
    memo?.set(field, vals);
    return vals;
  }

  private admits(def: BaselineDef, event: unknown, memo?: Map<string, string[]>): boolean {
    for (const [field, accepted] of def.filter) {
      const vals = this.valuesOf(event, field, memo);
      if (!vals.some((v) => accepted.includes(v))) return false;
    }
    return true;
  }

  /** The key as canonical JSON of key field → value (null when absent, a list when several). */
  keyOf(def: BaselineDef, event: unknown, memo?: Map<string, string[]>): string {
    if (def.key.length === 0) return '{}';
    const k: Record<string, string | string[] | null> = {};
    for (const f of def.key) {
      const vals = this.valuesOf(event, f, memo);
      k[f] = vals.length === 0 ? null : vals.length === 1 ? (vals[0] as string) : vals;
    }
    // one field (the usual case): the canonical form built directly
    if (def.key.length === 1) {
      const f = def.key[0] as string;
      return `{${JSON.stringify(f)}:${JSON.stringify(k[f])}}`;
    }
    return canonicalJson(k);
  }

  evaluate(event: unknown, t: number, store: BaselineStore): Deviation[] {
    const out: Deviation[] = [];
    const memo = new Map<string, string[]>();
    for (const def of this.defs) {
      if (!this.admits(def, event, memo)) continue;
      const key = this.keyOf(def, event, memo);
      const prev = store.get(def.id, key);
      const judged = this.judge(def, event, t, prev, store, memo);
      if (!judged) continue;
      store.put(def.id, key, judged.state, def.params.maxKeys);
      for (const j of judged.out) out.push({ ...j, def, key });
    }
    return out;
  }

  /** Forgets keys idle longer than each baseline's key_ttl. */
  expire(now: number, store: BaselineStore): void {
    for (const def of this.defs) store.expire(def.id, now - def.params.keyTtlMs);
  }

  private judge(
    def: BaselineDef,
    event: unknown,
    t: number,
    prev: BaselineState | undefined,
    store: BaselineStore,
    memo: Map<string, string[]>,
  ): { state: BaselineState; out: Judgement[] } | undefined {
    const p = def.params;
    switch (def.kind) {
      case 'first_seen':
      case 'geography': {
        let values: string[];
        let quiet: (v: string) => boolean = () => false;
        if (def.kind === 'geography') {
          if (fieldString(event, 'source.ip') === null) return undefined; // no address, no place
          values = this.valuesOf(event, def.value === 'asn' ? 'geo.asn' : 'geo.country', memo);
          // internal and unlisted addresses have no geography to deviate from
          quiet = (v) => v === 'private' || v === 'unknown';
        } else values = [...new Set(this.valuesOf(event, def.value, memo))].slice(0, 16);
        if (values.length === 0) return undefined;
        const s: FirstSeenState = prev?.k === 'f' ? prev : { k: 'f', c: t, n: 0, l: t, v: new Map() };
        return { state: s, out: judgeFirstSeen(p, s, values, t, store.counters, quiet) };
      }
      case 'rate': {
        const s: RateState =
          prev?.k === 'r'
            ? prev
            : { k: 'r', c: t, n: 0, l: t, w: Math.floor(t / p.windowMs), x: 0, m: 0, s: 0, h: 0, a: -1 };
        return { state: s, out: judgeRate(p, s, t) };
      }
      case 'time_of_access': {
        const s: TimeState = prev?.k === 't' ? prev : { k: 't', c: t, n: 0, l: t, a: -1, h: new Uint8Array(168) };
        return { state: s, out: judgeTime(p, s, t) };
      }
    }
  }
}
