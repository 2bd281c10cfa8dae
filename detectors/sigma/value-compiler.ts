/**
 * Compiles one detection item, `Field|mod1|mod2: value(s)`, into an IR leaf.
 *
 * Modifiers apply in the order written (rules specification, "Value Modifiers"):
 * transformations (expand, windash, encodings, contains/startswith/endswith) turn
 * each value into one or more alternatives; type modifiers (re, cidr, lt…, exists,
 * fieldref, time parts) decide how the field is compared; `all` joins the values
 * with AND instead of OR; `cased` makes string comparison case-sensitive; `neq`
 * negates the comparison (the field exists and equals none of the values).
 */
import { fold } from './fold';
import type { ErrorCode, Severity } from '../errors';
import { inNetwork, parseCidr, parseIp, type Network } from './cidr';
import { fieldReader, type EventContext, type FieldValues } from './event-context';
import { and, or, type Leaf, type Node } from './ir';
import {
  base64,
  base64Offsets,
  COMPARE_MODIFIERS,
  isModifier,
  splitPlaceholders,
  TIME_MODIFIERS,
  unescapePercent,
  utf16,
  WINDASH_CHARS,
  type Modifier,
} from './modifiers';
import { regexCasedLiterals, regexNeedles } from './regex-needles';
import { compileSafeRegex } from './safe-regex';
import { compileStringTest, literalShape, SigmaString, type LiteralShape, type StringTest } from './sigma-string';
import type { YamlPath } from './yaml-source';

export interface CompileEnv {
  placeholders: ReadonlyMap<string, readonly string[]>;
  /** Sigma field name → event field names (fieldmappings); identity by default. */
  mapField(name: string): readonly string[];
  report(code: ErrorCode, message: string, path: YamlPath, severity?: Severity): void;
}

type Val =
  | { t: 'str'; raw: string; s: SigmaString; bytes: boolean }
  | { t: 'num'; n: number }
  | { t: 'bool'; b: boolean }
  | { t: 'null' };

type LeafTester = (fv: FieldValues, ctx: EventContext) => boolean;

/**
 * The needle of tests that can only succeed on a field with a string or number
 * value (regex, cidr, numeric and time comparisons, field references): the
 * empty string, which the index reads as "the field has a value".
 */
const PRESENT: string[] = [''];

interface Alt {
  tester: LeafTester;
  /** lower-cased literals one of which a matching value contains; null when unknown */
  needles: string[] | null;
  /** the needles are whole values: a match's folded value equals one of them */
  exact?: boolean;
  cost: number;
  /** the tester is anyStr(compileStringTest(…)) of one literal in this shape (see literalShape) */
  lit?: { shape: LiteralShape; text: string };
}

const TIME_PARTS: Record<string, (d: Date) => number> = {
  minute: (d) => d.getUTCMinutes(),
  hour: (d) => d.getUTCHours(),
  day: (d) => d.getUTCDate(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
  week: (d) => isoWeek(d),
};

function isoWeek(d: Date): number {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7);
}

/** Event value → Date: ISO-8601 strings, epoch milliseconds (or seconds below 1e11). */
export function toDate(v: unknown): Date | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v < 1e11 ? v * 1000 : v);
  if (typeof v === 'string' && v.length >= 4) {
    if (/^\d+(\.\d+)?$/.test(v)) return toDate(Number(v));
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : new Date(t);
  }
  return undefined;
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function toVal(v: unknown): Val | undefined {
  if (typeof v === 'string') return { t: 'str', raw: v, s: SigmaString.parse(v), bytes: false };
  if (typeof v === 'number') return { t: 'num', n: v };
  if (typeof v === 'boolean') return { t: 'bool', b: v };
  if (v === null) return { t: 'null' };
  return undefined;
}

function anyStr(test: StringTest, cased: boolean): LeafTester {
  if (cased)
    return (fv) => {
      const s = fv.strs;
      for (let i = 0; i < s.length; i++) if (test(s[i] as string, s[i] as string)) return true;
      return false;
    };
  return (fv) => {
    const s = fv.strs;
    if (s.length === 0) return false;
    const l = fv.lowers;
    for (let i = 0; i < s.length; i++) if (test(s[i] as string, l[i] as string)) return true;
    return false;
  };
}

/**
 * A list of CIDR values tests the same address once per network: remember the
 * last address parsed (a pure cache: same string, same result).
 */
let memoIpText: string | undefined;
let memoIp: ReturnType<typeof parseIp>;
function parseIpMemo(s: string): ReturnType<typeof parseIp> {
  if (s !== memoIpText) {
    memoIpText = s;
    memoIp = parseIp(s);
  }
  return memoIp;
}

export interface ParsedKey {
  field: string;
  modifiers: Modifier[];
}

/** Splits `Field|mod|mod`; unknown modifiers are reported and the item dropped. */
export function parseKey(key: string, env: CompileEnv, path: YamlPath): ParsedKey | undefined {
  const [field, ...mods] = key.split('|');
  const modifiers: Modifier[] = [];
  let ok = true;
  for (const m of mods) {
    if (isModifier(m)) modifiers.push(m);
    else {
      env.report('MODIFIER_UNKNOWN', `unknown modifier "${m}" in "${key}"`, path);
      ok = false;
    }
  }
  return ok ? { field: field ?? '', modifiers } : undefined;
}

/**
 * Compiles values under one key. `field` null means a keyword search: the values
 * are looked for, as case-insensitive substrings, in every value of the event.
 */
export function compileItem(
  field: string | null,
  modifiers: readonly Modifier[],
  rawValue: unknown,
  env: CompileEnv,
  path: YamlPath,
): Node | undefined {
  const list = Array.isArray(rawValue) ? rawValue : [rawValue];
  const has = (m: Modifier): boolean => modifiers.includes(m);
  const err = (code: ErrorCode, msg: string, sub?: number): undefined => {
    env.report(code, msg, sub === undefined ? path : [...path, sub]);
    return undefined;
  };
  if (list.length === 0) return err('VALUE_INVALID', 'empty list of values');
  /** fieldref targets: the leaves read them too (Leaf.reads) */
  const refs: string[] = [];
  // rules specification, "Special Field Values": null cannot be part of a list of values
  if (list.length > 1 && list.some((x) => x === null))
    return err('VALUE_INVALID', 'null cannot be part of a list of values: put it in a selection of its own');
  if (has('all') && list.length === 1)
    env.report('MODIFIER_INVALID', 'the all modifier needs more than one value', path, 'warning');
  const dup = modifiers.find((m, i) => modifiers.indexOf(m) !== i);
  if (dup) return err('MODIFIER_INVALID', `modifier "${dup}" is given twice`);

  // --- exists: a presence test, no values to transform
  if (has('exists')) {
    if (modifiers.length > 1) return err('MODIFIER_INVALID', 'exists cannot be combined with other modifiers');
    const b = list[0];
    if (list.length !== 1 || typeof b !== 'boolean') return err('VALUE_INVALID', 'exists takes true or false');
    if (field === null) return err('MODIFIER_INVALID', 'exists needs a field name');
    return fieldLeaf(field, env, (fv) => fv.present === b, null, 1);
  }

  const cased = has('cased');
  const reIdx = modifiers.indexOf('re');
  const timePart = modifiers.find((m) => TIME_MODIFIERS.has(m));
  const cmp = modifiers.find((m) => COMPARE_MODIFIERS.has(m));
  for (const f of ['i', 'm', 's'] as const)
    if (has(f) && (reIdx < 0 || modifiers.indexOf(f) < reIdx))
      return err('MODIFIER_INVALID', `"${f}" is a sub-modifier of re and must follow it`);
  const kinds = [reIdx >= 0, has('cidr'), cmp !== undefined, has('fieldref')].filter(Boolean).length;
  if (kinds > 1) return err('MODIFIER_INVALID', 're, cidr, lt/lte/gt/gte and fieldref exclude each other');
  if (modifiers.filter((m) => TIME_MODIFIERS.has(m)).length > 1)
    return err('MODIFIER_INVALID', 'only one time modifier can be used');
  if ((timePart || cmp) && modifiers.some((m) => ['contains', 'startswith', 'endswith', 'windash', 're'].includes(m)))
    return err('MODIFIER_INVALID', 'numeric and time comparisons cannot use string modifiers');

  // --- per value: a list of alternatives
  const groups: Alt[][] = [];
  for (let vi = 0; vi < list.length; vi++) {
    const vpath = Array.isArray(rawValue) ? vi : undefined;
    const first = toVal(list[vi]);
    if (!first) return err('VALUE_INVALID', 'a value must be a string, number, boolean or null', vpath);
    let vals: Val[] = [first];
    let wrapped = false;
    for (const m of modifiers) {
      const next: Val[] = [];
      for (const v of vals) {
        const r = transform(m, v);
        if (typeof r === 'string') return err('MODIFIER_INVALID', r, vpath);
        next.push(...r);
      }
      vals = next;
      if (m === 'contains' || m === 'startswith' || m === 'endswith') wrapped = true;
    }
    // keywords are substrings of any value; numbers and booleans as text
    if (field === null && !wrapped && reIdx < 0)
      vals = vals.map((v): Val => {
        if (v.t === 'num' || v.t === 'bool') {
          const text = v.t === 'num' ? String(v.n) : String(v.b);
          return { t: 'str', raw: text, s: SigmaString.literal(text).prependStar().appendStar(), bytes: false };
        }
        return v.t === 'str' ? { ...v, s: v.s.prependStar().appendStar() } : v;
      });
    const alts: Alt[] = [];
    for (const v of vals) {
      const alt = buildAlt(v, vpath);
      if (!alt) return undefined;
      alts.push(alt);
    }
    groups.push(alts);
  }

  function transform(m: Modifier, v: Val): Val[] | string {
    const needStr = (): string | undefined => (v.t === 'str' ? undefined : `${m} applies to strings only`);
    const noWild = (): string | undefined =>
      v.t === 'str' && v.s.hasWildcards() ? `${m} cannot encode wildcards; escape them or drop them` : undefined;
    const plainStr = (): string => (v.t === 'str' ? v.s.plain() : '');
    switch (m) {
      case 'contains':
      case 'startswith':
      case 'endswith': {
        if (has('fieldref') || has('cidr')) return [v];
        if (v.t === 'num' || v.t === 'bool')
          v = {
            t: 'str',
            raw: String(v.t === 'num' ? v.n : v.b),
            s: SigmaString.literal(String(v.t === 'num' ? v.n : v.b)),
            bytes: false,
          };
        if (v.t !== 'str') return `${m} applies to strings only`;
        if (reIdx >= 0) return `${m} cannot be combined with re`;
        const s =
          m === 'contains' ? v.s.prependStar().appendStar() : m === 'startswith' ? v.s.appendStar() : v.s.prependStar();
        return [{ ...v, s }];
      }
      case 'windash':
        return (
          needStr() ?? [
            {
              ...(v as Extract<Val, { t: 'str' }>),
              s: (v as Extract<Val, { t: 'str' }>).s.withClasses(WINDASH_CHARS, WINDASH_CHARS),
            },
          ]
        );
      case 'base64':
        return needStr() ?? noWild() ?? [lit(base64(plainStr(), (v as { bytes: boolean }).bytes))];
      case 'base64offset': {
        const e = needStr() ?? noWild();
        if (e) return e;
        const variants = base64Offsets(plainStr(), (v as { bytes: boolean }).bytes);
        // a one-byte value has no stable middle: an empty variant would match everything
        if (variants.some((x) => x === '')) return 'base64offset needs a value of at least two bytes';
        return variants.map((x) => lit(x));
      }
      case 'utf16le':
      case 'wide':
      case 'utf16be':
      case 'utf16': {
        const e = needStr() ?? noWild();
        if (e) return e;
        const mode = m === 'utf16be' ? 'be' : m === 'utf16' ? 'bom' : 'le';
        return [lit(utf16(plainStr(), mode), true)];
      }
      case 'expand': {
        if (v.t !== 'str') return 'expand applies to strings only';
        const parts = splitPlaceholders(v.raw);
        let acc = [''];
        for (const p of parts) {
          if ('text' in p) acc = acc.map((a) => a + p.text);
          else {
            const values = env.placeholders.get(p.name);
            if (!values) {
              env.report('PLACEHOLDER_UNDEFINED', `placeholder %${p.name}% has no value`, path);
              return [];
            }
            const nextAcc: string[] = [];
            for (const a of acc) for (const x of values) nextAcc.push(a + x);
            acc = nextAcc;
          }
        }
        // keep the wildcards that contains/startswith/endswith added before expand
        const before = v.s;
        return acc.map((raw) => {
          const r = unescapePercent(raw);
          let s = SigmaString.parse(r);
          if (before.startsWithStar()) s = s.prependStar();
          if (before.endsWithStar()) s = s.appendStar();
          return { t: 'str', raw: r, s, bytes: false };
        });
      }
      default:
        return [v];
    }
  }

  function lit(s: string, bytes = false): Extract<Val, { t: 'str' }> {
    return { t: 'str', raw: s, s: SigmaString.literal(s), bytes };
  }

  function buildAlt(v: Val, vpath: number | undefined): Alt | undefined {
    // fieldref: compare with another field of the same event
    if (has('fieldref')) {
      if (v.t !== 'str') return err('VALUE_INVALID', 'fieldref takes a field name', vpath);
      const targets = env.mapField(v.raw);
      refs.push(...targets);
      const mode = has('contains')
        ? 'contains'
        : has('startswith')
          ? 'startswith'
          : has('endswith')
            ? 'endswith'
            : 'eq';
      const norm = cased ? (s: string): string => s : fold;
      const cmpFn = (a: string, b: string): boolean =>
        mode === 'eq'
          ? a === b
          : mode === 'contains'
            ? a.includes(b)
            : mode === 'startswith'
              ? a.startsWith(b)
              : a.endsWith(b);
      return {
        tester: (fv, ctx) => {
          for (const t of targets) {
            const other = ctx.field(t);
            for (const o of other.strs) {
              const ob = norm(o);
              for (const s of fv.strs) if (cmpFn(norm(s), ob)) return true;
            }
          }
          return false;
        },
        needles: PRESENT,
        cost: 4,
      };
    }
    if (reIdx >= 0) {
      if (v.t !== 'str') return err('VALUE_INVALID', 're takes a string', vpath);
      const r = compileSafeRegex(v.raw, { i: has('i'), m: has('m'), s: has('s') });
      if (!r.ok) return err(r.code, `${r.message}: /${v.raw}/`, vpath);
      const re = r.regex;
      // a case-sensitive expression needs one of its literals verbatim: a substring
      // search rules most values out before the expression runs
      const required = has('i') ? null : regexCasedLiterals(v.raw);
      return {
        tester: required
          ? (fv) => {
              for (const s of fv.strs) if (containsOne(s, required) && re.test(s)) return true;
              return false;
            }
          : (fv) => {
              for (const s of fv.strs) if (re.test(s)) return true;
              return false;
            },
        needles: regexNeedles(v.raw) ?? PRESENT,
        cost: r.linear ? 40 : 10,
      };
    }
    if (has('cidr')) {
      if (v.t !== 'str') return err('CIDR_INVALID', 'cidr takes a network such as 10.0.0.0/8', vpath);
      const net: Network | undefined = parseCidr(v.raw);
      if (!net) return err('CIDR_INVALID', `"${v.raw}" is not a CIDR network`, vpath);
      return {
        tester: (fv) => {
          for (const s of fv.strs) {
            const ip = parseIpMemo(s);
            if (ip && inNetwork(ip, net)) return true;
          }
          return false;
        },
        needles: PRESENT,
        cost: 5,
      };
    }
    if (cmp || timePart) {
      let target: number | undefined;
      if (v.t === 'num') target = v.n;
      else if (v.t === 'str') target = toNumber(v.raw);
      if (target === undefined)
        return err(
          'VALUE_INVALID',
          `${cmp ?? timePart} takes a number, not ${JSON.stringify(v.t === 'str' ? v.raw : v.t)}`,
          vpath,
        );
      const t = target;
      const part = timePart ? TIME_PARTS[timePart] : undefined;
      const extract = part
        ? (x: unknown): number | undefined => {
            const d = toDate(x);
            return d ? part(d) : undefined;
          }
        : toNumber;
      const op =
        cmp === 'lt'
          ? (a: number): boolean => a < t
          : cmp === 'lte'
            ? (a: number): boolean => a <= t
            : cmp === 'gt'
              ? (a: number): boolean => a > t
              : cmp === 'gte'
                ? (a: number): boolean => a >= t
                : (a: number): boolean => a === t;
      return {
        tester: (fv) => {
          for (const x of fv.leaves) {
            const n = extract(x);
            if (n !== undefined && op(n)) return true;
          }
          return false;
        },
        needles: PRESENT,
        cost: 3,
      };
    }
    switch (v.t) {
      case 'null':
        return { tester: (fv) => !fv.present || fv.leaves.some((x) => x === null), needles: null, cost: 1 };
      case 'num':
      case 'bool': {
        const text = v.t === 'num' ? String(v.n) : v.b ? 'true' : 'false';
        const s = SigmaString.literal(text);
        return {
          tester: anyStr(compileStringTest(s, cased), cased),
          needles: [fold(text)],
          exact: true,
          cost: 1,
          lit: literalShape(s, cased),
        };
      }
      case 'str': {
        const frag = v.s.literalFragments()[0];
        return {
          tester: anyStr(compileStringTest(v.s, cased), cased),
          needles: frag ? [fold(frag)] : null,
          exact: !v.s.hasWildcards(),
          cost: v.s.hasWildcards() ? 3 : 2,
          lit: literalShape(v.s, cased),
        };
      }
    }
  }

  // --- combine: alternatives OR-ed, values OR-ed (or AND-ed with `all`)
  const combineAlts = (alts: Alt[]): Alt =>
    alts.length === 1
      ? (alts[0] as Alt)
      : {
          tester: literalsTester(alts, cased) ?? anyAlt(alts),
          needles: null,
          cost: alts.reduce((s, a) => s + a.cost, 0),
        };
  const needlesOf = (alts: Alt[]): string[] | null =>
    alts.every((a) => a.needles) ? [...new Set(alts.flatMap((a) => a.needles as string[]))] : null;
  const allExact = (alts: Alt[]): boolean => alts.every((a) => a.exact === true);

  const negate = has('neq');
  const build = (alts: Alt[]): Node => {
    const c = combineAlts(alts);
    const needles = negate ? null : needlesOf(alts);
    const exact = needles !== null && allExact(alts);
    const tester: LeafTester = negate ? (fv, ctx) => fv.present && !c.tester(fv, ctx) : c.tester;
    return field === null
      ? keywordLeaf(tester, needles, c.cost)
      : fieldLeaf(field, env, tester, needles, c.cost, exact, refs);
  };
  if (has('all') && !negate) return and(groups.map(build));
  return build(groups.flat());
}

function containsOne(s: string, literals: readonly string[]): boolean {
  for (let i = 0; i < literals.length; i++) if (s.includes(literals[i] as string)) return true;
  return false;
}

function anyAlt(alts: readonly Alt[]): LeafTester {
  return (fv, ctx) => {
    for (const a of alts) if (a.tester(fv, ctx)) return true;
    return false;
  };
}

/**
 * A list of one-literal values (`Image|endswith: [a, b, …]`) as one loop over
 * the field's strings and the literals, instead of a tester call per value:
 * true for exactly the values anyAlt(alts) is true for (each alternative is
 * anyStr of ===, startsWith, endsWith or includes of its literal). Undefined
 * when an alternative is anything else.
 */
function literalsTester(alts: readonly Alt[], cased: boolean): LeafTester | undefined {
  const eq = new Set<string>();
  const starts: string[] = [];
  const ends: string[] = [];
  const contains: string[] = [];
  for (const a of alts) {
    if (!a.lit) return undefined;
    const t = a.lit.text;
    if (a.lit.shape === 'eq') eq.add(t);
    else (a.lit.shape === 'starts' ? starts : a.lit.shape === 'ends' ? ends : contains).push(t);
  }
  const anyEq = eq.size > 0;
  return (fv) => {
    const strs = fv.strs;
    if (strs.length === 0) return false;
    const xs = cased ? strs : fv.lowers;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as string;
      if (anyEq && eq.has(x)) return true;
      for (let k = 0; k < starts.length; k++) if (x.startsWith(starts[k] as string)) return true;
      for (let k = 0; k < ends.length; k++) if (x.endsWith(ends[k] as string)) return true;
      for (let k = 0; k < contains.length; k++) if (x.includes(contains[k] as string)) return true;
    }
    return false;
  };
}

function keywordLeaf(tester: LeafTester, needles: string[] | null, cost: number): Leaf {
  return { k: 'leaf', field: null, test: (ctx) => tester(ctx.anyField(), ctx), needles, cost: cost * 8 };
}

function fieldLeaf(
  sigmaField: string,
  env: CompileEnv,
  tester: LeafTester,
  needles: string[] | null,
  cost: number,
  exact = false,
  refs: readonly string[] = [],
): Node {
  const targets = env.mapField(sigmaField);
  const reads = refs.length > 0 ? [...new Set(refs)] : undefined;
  const leaves: Node[] = targets.map((f) => {
    const read = fieldReader(f);
    const leaf: Leaf = {
      k: 'leaf',
      field: f,
      test: (ctx: EventContext) => tester(read(ctx), ctx),
      needles,
      exact,
      cost,
    };
    if (reads) leaf.reads = reads;
    return leaf;
  });
  return or(leaves);
}
