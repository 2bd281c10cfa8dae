/**
 * Compiles the `detection` section of a rule (or the body of a filter) into IR:
 * search identifiers (maps = AND, lists = OR, lists of maps, keyword lists,
 * `'|all'` keyword ANDs) and the condition over them.
 */
import { ConditionError, parseCondition, patternMatcher, type Cond } from './condition';
import { and, leafFields, or, toPredicate, type Leaf, type Node } from './ir';
import { compileItem, parseKey, type CompileEnv } from './value-compiler';
import type { YamlPath } from './yaml-source';

const RESERVED = new Set(['condition', 'timeframe']);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function compileMap(map: Record<string, unknown>, env: CompileEnv, path: YamlPath): Node | undefined {
  const parts: Node[] = [];
  let ok = true;
  for (const key of Object.keys(map)) {
    const p = [...path, key];
    const parsed = parseKey(key, env, p);
    if (!parsed) {
      ok = false;
      continue;
    }
    // `'|all': [...]` and `'|contains': ...`: a keyword search with modifiers
    const field = parsed.field === '' ? null : parsed.field;
    const n = compileItem(field, parsed.modifiers, map[key], env, p);
    if (n) parts.push(n);
    else ok = false;
  }
  if (!ok) return undefined;
  if (parts.length === 0) {
    env.report('DETECTION_INVALID', 'empty search identifier', path);
    return undefined;
  }
  return and(parts);
}

/** One search identifier. */
export function compileSearch(value: unknown, env: CompileEnv, path: YamlPath): Node | undefined {
  if (isPlainObject(value)) return compileMap(value, env, path);
  if (Array.isArray(value)) {
    if (value.length === 0) {
      env.report('DETECTION_INVALID', 'empty list', path);
      return undefined;
    }
    const parts: Node[] = [];
    const keywords: unknown[] = [];
    let ok = true;
    value.forEach((item, i) => {
      if (isPlainObject(item)) {
        const n = compileMap(item, env, [...path, i]);
        if (n) parts.push(n);
        else ok = false;
      } else if (Array.isArray(item)) {
        env.report('DETECTION_INVALID', 'a list inside a list is not a valid search', [...path, i]);
        ok = false;
      } else keywords.push(item);
    });
    if (keywords.length > 0) {
      const n = compileItem(null, [], keywords, env, path);
      if (n) parts.push(n);
      else ok = false;
    }
    return ok ? or(parts) : undefined;
  }
  if (typeof value === 'string' || typeof value === 'number') return compileItem(null, [], value, env, path);
  env.report('DETECTION_INVALID', `search identifier holds ${value === null ? 'null' : typeof value}`, path);
  return undefined;
}

function atLeast(n: number, nodes: Node[]): Node {
  if (n <= 1) return or(nodes);
  if (n >= nodes.length) return and(nodes);
  // rare ("2 of selection*"): count the true ones
  const preds = nodes.map(toPredicate);
  const reads = new Set<string>();
  for (const c of nodes) leafFields(c, reads);
  const leaf: Leaf = {
    k: 'leaf',
    field: null,
    reads: [...reads],
    needles: null,
    cost: nodes.length * 4,
    test: (ctx) => {
      let c = 0;
      for (const p of preds) if (p(ctx) && ++c >= n) return true;
      return false;
    },
  };
  return leaf;
}

/**
 * Compiles a detection section. `basePath` is where it sits in the YAML document
 * (['detection'] for rules, ['filter'] for filters); `skip` lists non-search keys.
 */
export function compileDetection(
  detection: Record<string, unknown>,
  env: CompileEnv,
  basePath: YamlPath,
  skip: ReadonlySet<string> = RESERVED,
): Node | undefined {
  const searches = new Map<string, Node | undefined>();
  for (const name of Object.keys(detection)) {
    if (skip.has(name)) continue;
    searches.set(name, compileSearch(detection[name], env, [...basePath, name]));
  }
  const condition = detection['condition'];
  const condPath = [...basePath, 'condition'];
  const conds: Array<{ text: string; path: YamlPath }> = [];
  if (typeof condition === 'string') conds.push({ text: condition, path: condPath });
  else if (Array.isArray(condition) && condition.length > 0 && condition.every((c) => typeof c === 'string'))
    condition.forEach((c, i) => conds.push({ text: c as string, path: [...condPath, i] }));
  else {
    env.report('CONDITION_SYNTAX', 'condition must be a string or a list of strings', condPath);
    return undefined;
  }
  const names = [...searches.keys()];
  let failed = [...searches.values()].some((n) => n === undefined);
  const roots: Node[] = [];
  for (const { text, path } of conds) {
    let ast: Cond;
    try {
      ast = parseCondition(text);
    } catch (e) {
      if (!(e instanceof ConditionError)) throw e;
      const code =
        e.kind === 'limit'
          ? 'CONDITION_LIMIT'
          : e.kind === 'unsupported'
            ? 'CONDITION_UNSUPPORTED'
            : 'CONDITION_SYNTAX';
      env.report(code, `${e.message} (at character ${e.at + 1} of the condition)`, path);
      failed = true;
      continue;
    }
    const resolved = resolve(ast, path);
    if (resolved) roots.push(resolved);
    else failed = true;
  }
  return failed ? undefined : or(roots);

  function resolve(c: Cond, path: YamlPath): Node | undefined {
    switch (c.k) {
      case 'id': {
        if (!searches.has(c.name)) {
          env.report('CONDITION_UNKNOWN_IDENTIFIER', `"${c.name}" is not a search identifier of this rule`, path);
          return undefined;
        }
        return searches.get(c.name);
      }
      case 'of': {
        const matching =
          c.pattern === 'them' ? names.filter((n) => !n.startsWith('_')) : names.filter(patternMatcher(c.pattern));
        if (matching.length === 0) {
          env.report('CONDITION_NO_MATCH', `"${c.pattern}" matches no search identifier`, path);
          return undefined;
        }
        const nodes = matching.map((n) => searches.get(n));
        if (nodes.some((n) => n === undefined)) return undefined;
        const defined = nodes as Node[];
        return c.quant === 'all' ? and(defined) : atLeast(c.quant, defined);
      }
      case 'not': {
        const inner = resolve(c.c, path);
        return inner && { k: 'not', c: inner };
      }
      case 'and':
      case 'or': {
        const parts: Node[] = [];
        let ok = true;
        for (const x of c.c) {
          const r = resolve(x, path);
          if (r) parts.push(r);
          else ok = false;
        }
        if (!ok) return undefined;
        return c.k === 'and' ? and(parts) : or(parts);
      }
    }
  }
}
