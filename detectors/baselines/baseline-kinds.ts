/**
 * The update-and-judge step of each baseline kind, on one key's state. Each
 * function judges the event against the state as it was before the event, then
 * folds the event in, so the first occurrence alerts and the second does not.
 */
import { bounded } from '../findings/event-fields';
import type { BaselineParams } from './baseline-config';
import type { FirstSeenState, RateState, TimeState } from './baseline-state';

export interface Judgement {
  observed: string;
  /** The baseline compared with, as a JSON-able object (canonical JSON in the finding). */
  expected: Record<string, unknown>;
  score: number | null;
  detail: string;
}

const HOUR = 3_600_000;
/** What a judge returns when nothing deviates (the usual case): shared, so it is never to be written to. */
const NONE: readonly Judgement[] = Object.freeze([]);
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** Whether a key is still learning: younger than learning_period and fewer events than learning_events (when set). */
export function learning(p: BaselineParams, created: number, events: number, t: number): boolean {
  const byAge = p.learningMs > 0 && t - created >= p.learningMs;
  const byCount = p.learningEvents > 0 && events >= p.learningEvents;
  if (p.learningMs === 0 && p.learningEvents === 0) return false;
  return !(byAge || byCount);
}

/** first_seen and geography: values never seen (or not within ttl) for this key. */
export function judgeFirstSeen(
  p: BaselineParams,
  s: FirstSeenState,
  values: readonly string[],
  t: number,
  counters: { evictedValues: number },
  quiet?: (value: string) => boolean,
): readonly Judgement[] {
  let out: Judgement[] | undefined;
  // a new key's state starts now with no events: learning() then holds whenever a learning period is set
  const learn = learning(p, s.c, s.n, t);
  for (const value of values) {
    const last = s.v.get(value);
    const fresh = last === undefined || t - last > p.ttlMs;
    if (fresh && !learn && !quiet?.(value)) {
      const sample = [...s.v.keys()].slice(-10).map((x) => bounded(x, 128));
      (out ??= []).push({
        observed: bounded(value, 256),
        expected: { known_values: s.v.size, recent: sample, since: s.c, events: s.n },
        score: null,
        detail: `new value ${bounded(value, 128)} (${s.v.size} known)`,
      });
    }
    // most recently seen last: re-insert, unless it is the only value (then it already is; an in-place update)
    if (last !== undefined && s.v.size > 1) s.v.delete(value);
    s.v.set(value, last === undefined ? t : Math.max(last, t));
  }
  if (s.v.size > p.maxValues) {
    // expired values first (they are at the head: least recently seen), then the oldest live ones
    for (const [value, last] of s.v) {
      if (s.v.size <= p.maxValues) break;
      s.v.delete(value);
      if (t - last <= p.ttlMs) counters.evictedValues++;
    }
  }
  s.n++;
  if (t > s.l) s.l = t;
  return out ?? NONE;
}

/** Folds a finished window's count into the EWMA mean and variance (West's incremental form). */
function fold(s: RateState, x: number, alpha: number): void {
  if (s.h === 0) {
    s.m = x;
    s.s = 0;
  } else {
    const d = x - s.m;
    s.m += alpha * d;
    s.s = (1 - alpha) * (s.s + alpha * d * d);
  }
  s.h++;
}

/** rate: requests in the current window vs the key's EWMA of past windows. */
export function judgeRate(p: BaselineParams, s: RateState, t: number): readonly Judgement[] {
  const w = Math.floor(t / p.windowMs);
  if (w > s.w) {
    fold(s, s.x, p.alpha);
    // idle windows count as zeros; after a few hundred the mean is ~0 anyway, so the loop is capped
    const idle = Math.min(w - s.w - 1, 500);
    for (let i = 0; i < idle; i++) fold(s, 0, p.alpha);
    s.w = w;
    s.x = 0;
  }
  // a late event (earlier window) counts in the current one: windows are never reopened
  s.x++;
  s.n++;
  if (t > s.l) s.l = t;
  if (s.h < p.minHistory || s.x < p.minCount || s.a === s.w || learning(p, s.c, s.n, t)) return NONE;
  const sd = Math.max(Math.sqrt(s.s), p.minStddev);
  const z = (s.x - s.m) / sd;
  if (!(z > p.threshold)) return NONE; // NaN (0/0) never alerts
  s.a = s.w;
  const round = (n: number): number => Math.round(n * 100) / 100;
  return [
    {
      observed: `${s.x} requests in ${p.windowMs / 1000}s`,
      expected: { mean: round(s.m), stddev: round(Math.sqrt(s.s)), windows: s.h, window_s: p.windowMs / 1000 },
      score: round(z),
      detail: `${s.x} requests in ${p.windowMs / 1000}s, usual ${round(s.m)} (z ${round(z)})`,
    },
  ];
}

/** Hour of the week in UTC, Monday 00:00 = 0 (1970-01-01 was a Thursday). */
export function hourOfWeek(t: number): number {
  const day = Math.floor(t / 86_400_000);
  const dow = (((day + 3) % 7) + 7) % 7;
  const hour = ((Math.floor(t / HOUR) % 24) + 24) % 24;
  return dow * 24 + hour;
}

export function hourName(h: number): string {
  return `${DAY_NAMES[Math.floor(h / 24)] ?? '?'} ${String(h % 24).padStart(2, '0')}:00 UTC`;
}

/** time_of_access: an hour of the week the key has never (or rarely) been active in. */
export function judgeTime(p: BaselineParams, s: TimeState, t: number): readonly Judgement[] {
  const how = hourOfWeek(t);
  const abs = Math.floor(t / HOUR);
  let out: readonly Judgement[] = NONE;
  const seen = s.h[how] ?? 0;
  if (!learning(p, s.c, s.n, t) && seen <= p.rareThreshold && s.a !== abs) {
    s.a = abs;
    const active: string[] = [];
    s.h.forEach((c, i) => {
      if (c > p.rareThreshold) active.push(hourName(i));
    });
    out = [
      {
        observed: hourName(how),
        expected: { active_hours: active, events: s.n, since: s.c },
        score: seen,
        detail: `active at ${hourName(how)}, usual hours: ${active.length} of 168`,
      },
    ];
  }
  if (seen < 255) s.h[how] = seen + 1;
  s.n++;
  if (t > s.l) s.l = t;
  return out;
}
