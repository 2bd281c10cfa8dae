/**
 * Canonical JSON and SHA-256 for deterministic ids and rule versions. Canonical:
 * object keys sorted, no whitespace, so the same content always hashes the same
 * whatever order a YAML author or a decoder produced. `crypto` is computation,
 * not I/O, so detectors/ may use it.
 */
import { createHash } from 'crypto';

function canon(v: unknown, depth: number): string {
  if (depth > 64) return '"…"';
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : JSON.stringify(String(v));
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(v.toString());
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => canon(x, depth + 1)).join(',')}]`;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canon(o[k], depth + 1)}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** JSON with sorted keys; undefined properties are left out, non-finite numbers become strings. */
export function canonicalJson(v: unknown): string {
  return canon(v, 0);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
