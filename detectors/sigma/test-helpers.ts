/**
 * Test support for the Sigma engine unit tests (not a test file itself).
 *
 * Every match goes through both the indexed `RuleSet.match()` and the reference
 * `matchAllNaive()`, and the two must agree: the prefilter index may only skip
 * rules that cannot match, so any difference is a bug in the index.
 */
import type { DockguardError } from '../errors';
import { loadRules, type LoadOptions, type LoadResult, type RuleSource } from './loader';
import { compileLogsourceConfig, type LogsourceConfig } from './logsource-config';
import { RuleSet } from './rule-set';
import { parseYamlSource } from './yaml-source';

/** Removes the common indentation of a template literal (and its first empty line). */
export function dedent(text: string): string {
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n\s*$/, '')
    .split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((l) => l.slice(cut)).join('\n');
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l.trim() === '' ? l : pad + l))
    .join('\n');
}

export interface RuleDocOptions {
  title?: string;
  id?: string;
  name?: string;
  /** YAML body of the logsource map; default `product: docker` */
  logsource?: string;
}

/**
 * A complete rule document around a detection body written without indentation:
 * `ruleDoc(\`selection:\n  Image: x\ncondition: selection\`)`.
 */
export function ruleDoc(detection: string, opts: RuleDocOptions = {}): string {
  const head = [`title: ${opts.title ?? 'test rule'}`];
  if (opts.id) head.push(`id: ${opts.id}`);
  if (opts.name) head.push(`name: ${opts.name}`);
  head.push('logsource:', indent(dedent(opts.logsource ?? 'product: docker'), 2));
  head.push('detection:', indent(dedent(detection), 2));
  return head.join('\n') + '\n';
}

export function load(text: string, options: LoadOptions = {}, file = 'r.yml'): LoadResult {
  return loadRules([{ file, text }], options);
}

export function errorsOf(problems: readonly DockguardError[]): DockguardError[] {
  return problems.filter((p) => p.severity === 'error');
}

/** The codes of every problem (errors and warnings) of one rule file. */
export function problemsOf(text: string, options: LoadOptions = {}): string[] {
  return load(text, options).problems.map((p) => p.code);
}

/** The codes of the errors only. */
export function errorCodesOf(text: string, options: LoadOptions = {}): string[] {
  return errorsOf(load(text, options).problems).map((p) => p.code);
}

/** Keys of the rules matching `event`, after checking that index and naive evaluation agree. */
export function matchKeys(ruleSet: RuleSet, event: unknown): string[] {
  const indexed = ruleSet.match(event).map((r) => r.key);
  const naive = ruleSet.matchAllNaive(event).map((i) => ruleSet.rules[i]?.key ?? `#${i}`);
  expect({ indexed, event }).toEqual({ indexed: naive, event });
  return indexed;
}

export interface CompileOptions extends LoadOptions {
  /** Logsource configurations given to the RuleSet (conditions, unmapped rules). */
  configs?: LogsourceConfig[];
}

export interface Compiled {
  result: LoadResult;
  ruleSet: RuleSet;
  /** Keys of the matching rules (index and naive agree). */
  keys(event: unknown): string[];
  /** True when any rule matches. */
  test(event: unknown): boolean;
}

/** Loads sources that must load without errors (warnings are allowed) and indexes them. */
export function compileSources(sources: RuleSource[], options: CompileOptions = {}): Compiled {
  const { configs, ...loadOptions } = options;
  const result = loadRules(sources, { logsources: configs, ...loadOptions });
  const errors = errorsOf(result.problems);
  if (errors.length > 0) throw new Error('rules did not load:\n' + errors.map((e) => e.format()).join('\n'));
  const ruleSet = new RuleSet(result.rules, configs ?? []);
  const keys = (event: unknown): string[] => matchKeys(ruleSet, event);
  return { result, ruleSet, keys, test: (event) => keys(event).length > 0 };
}

/** One rule document that must load as exactly one rule. */
export function compile(text: string, options: CompileOptions = {}): Compiled {
  const c = compileSources([{ file: 'r.yml', text }], options);
  if (c.result.rules.length !== 1) throw new Error(`expected one rule, loaded ${c.result.rules.length}`);
  return c;
}

/** Compiles a rule from a detection body and returns its matcher. */
export function matcher(detection: string, options: CompileOptions = {}): (event: unknown) => boolean {
  const c = compile(ruleDoc(detection), options);
  return (event) => c.test(event);
}

/** Does the rule (a full document) match the event? Index and naive evaluation must agree. */
export function matches(ruleYaml: string, event: unknown, options: CompileOptions = {}): boolean {
  return compile(ruleYaml, options).test(event);
}

/** A logsource configuration (sigmac format) that must compile without errors. */
export function logsourceConfig(text: string, file = 'logsources.yml'): LogsourceConfig {
  const parsed = parseYamlSource(file, text);
  const doc = parsed.documents[0];
  if (parsed.errors.length > 0 || !doc)
    throw new Error('config did not parse: ' + parsed.errors.map((e) => e.format()).join('\n'));
  const { config, errors } = compileLogsourceConfig(doc, file);
  if (!config) throw new Error('config did not compile:\n' + errors.map((e) => e.format()).join('\n'));
  return config;
}

/** A seeded generator of integers in [0, n), so a failing random case reproduces. */
export function seededInts(seed: number): (n: number) => number {
  let x = seed;
  return (n) => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
}

/**
 * mulberry32 integers in [0, n): for random cases that nest several choices, where
 * seededInts' LCG low bits repeat too soon.
 */
export function mulberryInts(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}
