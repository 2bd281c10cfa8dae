/**
 * Event time for correlations: the first of `fields` that holds an ISO-8601
 * string or epoch milliseconds (numbers or digit strings). Pure: the wall clock
 * never enters detection.
 */
import { resolveRaw } from './event-context';

export const DEFAULT_TIMESTAMP_FIELDS = ['@timestamp', 'timestamp'];

export function parseTimestamp(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v !== 'string' || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

export function eventTime(event: unknown, fields: readonly string[]): number | undefined {
  for (const f of fields) {
    const raw = resolveRaw(event, f, f.split('.'));
    const t = raw && raw.length > 0 ? parseTimestamp(raw[0]) : undefined;
    if (t !== undefined) return t;
  }
  return undefined;
}
