/**
 * Indicator files → indicators. Pure: the adapter (pipelines/adapters/intel-files.ts)
 * reads the files and passes their text. Three formats:
 *
 * - CSV: `type,value[,source,description]`, one per line; an optional header line
 *   starting with `type`; `#` comment lines; RFC 4180 quoting.
 * - Plain list: one value per line, `#` comments; the type comes from the caller
 *   (config) or the file name (`ips.txt`, `domains.list`, `images.txt`, …).
 * - STIX 2.1 bundle (JSON): `indicator` objects with `pattern_type: stix` and simple
 *   patterns — one comparison, or comparisons joined by OR — on ipv4-addr, ipv6-addr,
 *   domain-name, url and file:hashes. Anything else is counted as unsupported and
 *   reported, not fatal; revoked indicators are skipped.
 *
 * Every bad line or object is reported with its location, and the rest is kept;
 * the adapter decides whether a file with errors replaces the previous set.
 */
import { DockguardError } from '../errors';
import type { Indicator } from './indicator-set';
import { INDICATOR_TYPES, type IndicatorType } from './normalize';

export interface ParsedIndicators {
  indicators: Indicator[];
  errors: DockguardError[];
  /** STIX patterns or objects we do not evaluate. */
  unsupported: number;
}

function bad(file: string, line: number, message: string, severity: 'error' | 'warning' = 'error'): DockguardError {
  return new DockguardError({
    stage: 'parse',
    code: 'INTEL_FILE_INVALID',
    message,
    severity,
    location: { file, line, column: 1 },
  });
}

const TYPE_ALIASES: Record<string, IndicatorType> = {
  ip: 'ip',
  ipv4: 'ip',
  ipv6: 'ip',
  'ipv4-addr': 'ip',
  'ipv6-addr': 'ip',
  address: 'ip',
  cidr: 'cidr',
  network: 'cidr',
  domain: 'domain',
  'domain-name': 'domain',
  hostname: 'domain',
  fqdn: 'domain',
  url: 'url',
  uri: 'url',
  image: 'image',
  digest: 'digest',
  hash: 'hash',
  md5: 'hash',
  sha1: 'hash',
  sha256: 'hash',
};

export function indicatorType(name: string): IndicatorType | undefined {
  return TYPE_ALIASES[name.trim().toLowerCase()];
}

/** The type of a plain list from its file name: `ips.txt` → ip, `bad-domains.list` → domain, … */
export function typeFromFileName(file: string): IndicatorType | undefined {
  const base = (file.split('/').pop() ?? file).toLowerCase().replace(/\.[^.]*$/, '');
  const words = base.split(/[^a-z0-9]+/).map((w) => w.replace(/s$/, ''));
  for (const w of words.reverse()) {
    const t = TYPE_ALIASES[w];
    if (t) return t;
  }
  return undefined;
}

/** Splits one CSV line (RFC 4180 quotes; no embedded newlines). */
function csvFields(line: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"' && cur === '') quoted = true;
    else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (quoted) return undefined;
  out.push(cur.trim());
  return out;
}

export function parseIndicatorCsv(file: string, text: string): ParsedIndicators {
  const indicators: Indicator[] = [];
  const errors: DockguardError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const f = csvFields(line);
    if (!f) return void errors.push(bad(file, i + 1, 'unterminated quote'));
    const [type = '', value = '', source = '', description = ''] = f;
    if (i === 0 && type.toLowerCase() === 'type') return;
    const t = indicatorType(type);
    if (!t) return void errors.push(bad(file, i + 1, `unknown type "${type}" (use ${INDICATOR_TYPES.join(', ')})`));
    if (value === '') return void errors.push(bad(file, i + 1, 'empty value'));
    indicators.push({ type: t, value, source: source || file, ...(description ? { description } : {}) });
  });
  return { indicators, errors, unsupported: 0 };
}

export function parseIndicatorList(file: string, text: string, type: IndicatorType): ParsedIndicators {
  const indicators: Indicator[] = [];
  text.split(/\r?\n/).forEach((raw) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line !== '') indicators.push({ type, value: line, source: file });
  });
  return { indicators, errors: [], unsupported: 0 };
}

const OBJECT_TYPES: Record<string, IndicatorType> = {
  'ipv4-addr:value': 'ip',
  'ipv6-addr:value': 'ip',
  'domain-name:value': 'domain',
  'url:value': 'url',
};

/** One comparison: `object-path = 'value'` (STIX patterning, single-quoted strings with \\ and \' escapes). */
const COMPARISON = /^\s*([a-z0-9-]+:[a-z0-9_.'-]+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*$/i;

function parsePattern(pattern: string): { type: IndicatorType; value: string }[] | undefined {
  const p = pattern.trim();
  if (!p.startsWith('[') || !p.endsWith(']')) return undefined;
  const out: { type: IndicatorType; value: string }[] = [];
  // observation expressions joined by OR, each of comparisons joined by OR; AND,
  // FOLLOWEDBY, qualifiers and other operators need state or objects we do not have
  for (const observation of p.slice(1, -1).split(/\]\s+OR\s+\[/)) {
    const bare = observation.replace(/'(?:[^'\\]|\\.)*'/g, "''"); // operators are judged outside string literals
    if (/[[\]]/.test(bare) || /\b(AND|FOLLOWEDBY|MATCHES|LIKE|IN|WITHIN|REPEATS|START|STOP)\b/.test(bare))
      return undefined;
    for (const part of observation.split(/\s+OR\s+/)) {
      const m = COMPARISON.exec(part);
      if (!m) return undefined;
      const path = (m[1] as string).toLowerCase();
      const value = (m[2] as string).replace(/\\(.)/g, '$1');
      const t =
        OBJECT_TYPES[path] ?? (/^file:hashes\.'?(sha-?256|sha-?1|md5|sha-?512)'?$/.test(path) ? 'hash' : undefined);
      if (!t) return undefined;
      out.push({ type: t, value });
    }
  }
  return out;
}

export function parseStixBundle(file: string, text: string): ParsedIndicators {
  const indicators: Indicator[] = [];
  const errors: DockguardError[] = [];
  let unsupported = 0;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    errors.push(bad(file, 1, `not JSON: ${(e as Error).message}`));
    return { indicators, errors, unsupported };
  }
  const objects =
    doc !== null && typeof doc === 'object' && (doc as Record<string, unknown>)['type'] === 'bundle'
      ? (doc as Record<string, unknown>)['objects']
      : undefined;
  if (!Array.isArray(objects)) {
    errors.push(bad(file, 1, 'a STIX 2.1 file is a bundle: {"type": "bundle", "objects": [...]}'));
    return { indicators, errors, unsupported };
  }
  objects.forEach((o, i) => {
    if (o === null || typeof o !== 'object') return void errors.push(bad(file, 1, `objects[${i}] is not an object`));
    const x = o as Record<string, unknown>;
    if (x['type'] !== 'indicator' || x['revoked'] === true) return;
    const patternType = x['pattern_type'] ?? 'stix';
    const pattern = x['pattern'];
    const parsed = patternType === 'stix' && typeof pattern === 'string' ? parsePattern(pattern) : undefined;
    if (!parsed) {
      unsupported++;
      errors.push(
        bad(file, 1, `objects[${i}] (${String(x['id'])}): pattern not supported: ${String(pattern)}`, 'warning'),
      );
      return;
    }
    const name = typeof x['name'] === 'string' ? x['name'] : undefined;
    const description = typeof x['description'] === 'string' ? x['description'] : name;
    for (const p of parsed)
      indicators.push({ type: p.type, value: p.value, source: file, ...(description ? { description } : {}) });
  });
  return { indicators, errors, unsupported };
}
