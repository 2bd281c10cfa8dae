/**
 * JSON as dockerd reads it. Docker decodes request bodies with Go's
 * encoding/json into structs, which (1) matches object keys to struct fields
 * case-insensitively and (2) lets the last occurrence of a field win, in
 * document order. `JSON.parse` does neither: `{"Image":"a","image":"b"}` gives
 * two keys, and `{"image":"x","Image":"y","image":"z"}` loses the order between
 * spellings. An attacker who knows this can show a detector one value and the
 * daemon another. So bodies are parsed here keeping every pair in order, and
 * struct fields are read the way Go reads them.
 *
 * Map-typed fields (Labels, Volumes, PortBindings, …) are case-sensitive in Go;
 * `pairs()` keeps them as written.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

export interface JsonObject {
  /** every key/value pair, in document order, duplicates included */
  pairs: Array<[string, JsonValue]>;
}

export const JSON_LIMITS = { maxDepth: 64, maxBytes: 16 * 1024 * 1024 };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses `text` (RFC 8259 JSON) keeping object pairs in order. Throws JsonSyntaxError. */
export function parseDockerJson(text: string): JsonValue {
  if (text.length > JSON_LIMITS.maxBytes) throw new JsonSyntaxError('body too large', 0);
  let i = 0;
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (m: string): never => {
    throw new JsonSyntaxError(m, i);
  };
  const str = (): string => {
    // a fast path for strings without escapes, then the general decoder
    const start = ++i;
    let out = '';
    let from = start;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(from, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 92) {
        out += text.slice(from, i);
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            fail('bad escape');
        }
        from = i;
        continue;
      }
      i++;
    }
  };
  const value = (depth: number): JsonValue => {
    if (depth > JSON_LIMITS.maxDepth) fail(`nesting deeper than ${JSON_LIMITS.maxDepth}`);
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const pairs: Array<[string, JsonValue]> = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { pairs };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        pairs.push([k, value(depth + 1)]);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { pairs };
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: JsonValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return items;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : Number(m[0]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}

/**
 * Go's case-insensitive key comparison (bytes.EqualFold, Unicode simple
 * folding): besides ASCII case, the Kelvin sign matches k and the long s (ſ)
 * matches s, so `"Hoſtconfig"` is HostConfig to dockerd.
 */
export function goFold(key: string): string {
  const lower = key.toLowerCase();
  // hot path (every key of every body): only non-ASCII keys need the two extra folds
  return NON_ASCII.test(lower) ? lower.replace(/\u017f/g, 's').replace(/\u212a/g, 'k') : lower;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A struct field as Go reads it: case-insensitive key, last occurrence wins —
 * except that objects decode into the struct (or map) already there, so a run of
 * object occurrences merges, later keys over earlier ones. `{"HostConfig":
 * {"Privileged":true}, "HostConfig":{"Binds":[]}}` is privileged to dockerd; a
 * `null` in between starts over.
 */
export function field(obj: JsonValue | undefined, name: string): JsonValue | undefined {
  if (!isObject(obj)) return undefined;
  const want = goFold(name);
  let found: JsonValue | undefined;
  let merged: JsonObject | undefined;
  for (const [k, v] of obj.pairs) {
    // every character that folds to an ASCII letter (ASCII, ſ, K) is one UTF-16 unit, so a
    // key of another length cannot match an ASCII field name; skip it without folding
    if (k.length !== want.length || (k !== name && goFold(k) !== want)) continue;
    if (isObject(v)) {
      merged = merged ? { pairs: [...merged.pairs, ...v.pairs] } : v;
      found = merged;
    } else {
      merged = undefined;
      found = v;
    }
  }
  return found;
}

/** Keys that occur more than once, or in more than one spelling, in an object (for anomaly reporting). */
export function ambiguousKeys(obj: JsonObject): string[] {
  const seen = new Map<string, number>();
  for (const [k] of obj.pairs) seen.set(goFold(k), (seen.get(goFold(k)) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

/** A plain value (maps keep every key; a later duplicate of the same key overwrites). */
export function toPlain(v: JsonValue): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, x] of v.pairs) out[k] = toPlain(x);
  return out;
}

/** A Go string field: anything but a JSON string reads as absent (Go would reject the body). */
export function asString(v: JsonValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

/** A Go []string field, also accepting a single string (Docker's strslice); non-strings are skipped. */
export function asStrings(v: JsonValue | undefined): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Environment entries `NAME=value` (or `NAME`) reduced to their names: values can be secrets. */
export function envNames(v: JsonValue | undefined): string[] {
  return asStrings(v).map((e) => e.split('=')[0] ?? '');
}

/**
 * Compact JSON text of a parsed value with every pair in document order, duplicates
 * included: the event shows what was sent (a decoy key next to the real one), not a
 * reinterpretation of it.
 */
export function stringifyJson(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(stringifyJson).join(',')}]`;
  if (isObject(v)) return `{${v.pairs.map(([k, x]) => `${JSON.stringify(k)}:${stringifyJson(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Whether any object in the value has a key twice or in two spellings Go folds together. */
export function hasAmbiguousKeys(v: JsonValue): boolean {
  if (Array.isArray(v)) return v.some(hasAmbiguousKeys);
  if (!isObject(v)) return false;
  return ambiguousKeys(v).length > 0 || v.pairs.some(([, x]) => hasAmbiguousKeys(x));
}
