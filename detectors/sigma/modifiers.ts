/**
 * Value modifiers (Sigma modifiers appendix v2.1.0): names, and the pure value
 * transformations (encodings, windash, placeholders).
 */

export const MODIFIERS = [
  // generic
  'all',
  'startswith',
  'endswith',
  'contains',
  'exists',
  'cased',
  'neq',
  // string
  'windash',
  're',
  'i',
  'm',
  's',
  'base64',
  'base64offset',
  'utf16le',
  'utf16be',
  'utf16',
  'wide',
  // numeric
  'lt',
  'lte',
  'gt',
  'gte',
  // time
  'minute',
  'hour',
  'day',
  'week',
  'month',
  'year',
  // ip
  'cidr',
  // specific
  'expand',
  'fieldref',
] as const;

export type Modifier = (typeof MODIFIERS)[number];
const MODIFIER_SET = new Set<string>(MODIFIERS);

export function isModifier(s: string): s is Modifier {
  return MODIFIER_SET.has(s);
}

export const TIME_MODIFIERS = new Set<Modifier>(['minute', 'hour', 'day', 'week', 'month', 'year']);
export const COMPARE_MODIFIERS = new Set<Modifier>(['lt', 'lte', 'gt', 'gte']);

/** The five dash characters `windash` makes interchangeable. */
export const WINDASH_CHARS = '-/\u2013\u2014\u2015';

/** A string whose characters are bytes (0–255), produced by the UTF-16 modifiers. */
export function utf16(value: string, mode: 'le' | 'be' | 'bom'): string {
  let out = mode === 'bom' ? '\xff\xfe' : '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const lo = String.fromCharCode(c & 0xff);
    const hi = String.fromCharCode(c >> 8);
    out += mode === 'be' ? hi + lo : lo + hi;
  }
  return out;
}

function toBuffer(value: string, bytes: boolean): Buffer {
  return bytes ? Buffer.from(value, 'latin1') : Buffer.from(value, 'utf8');
}

export function base64(value: string, bytes: boolean): string {
  return toBuffer(value, bytes).toString('base64');
}

/**
 * The three shifted encodings of `value` inside a longer base64 string, with the
 * edge characters that depend on neighbouring bytes cut off (as pySigma does).
 */
export function base64Offsets(value: string, bytes: boolean): string[] {
  const raw = toBuffer(value, bytes);
  const startOffsets = [0, 2, 3];
  const endOffsets = [0, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const enc = Buffer.concat([Buffer.alloc(i, 0x20), raw]).toString('base64');
    const end = endOffsets[(raw.length + i) % 3] as number;
    out.push(enc.slice(startOffsets[i] as number, end === 0 ? undefined : end));
  }
  return out;
}

/**
 * Splits a value into text and `%placeholder%` names; `\%` is a literal percent
 * (rules specification, "Placeholders").
 */
export function splitPlaceholders(value: string): Array<{ text: string } | { name: string }> {
  const out: Array<{ text: string } | { name: string }> = [];
  let text = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && value[i + 1] === '%') {
      text += '\\%';
      i++;
    } else if (c === '%') {
      const end = value.indexOf('%', i + 1);
      const name = end > i + 1 ? value.slice(i + 1, end) : '';
      if (end < 0 || !/^[A-Za-z0-9_.-]+$/.test(name)) {
        text += c;
        continue;
      }
      if (text) out.push({ text });
      text = '';
      out.push({ name });
      i = end;
    } else text += c;
  }
  if (text) out.push({ text });
  return out;
}

/** Removes the backslash of `\%` once placeholders are resolved. */
export function unescapePercent(s: string): string {
  return s.replace(/\\%/g, '%');
}
