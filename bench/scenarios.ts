/**
 * The benchmark scenarios. Each loads its rules (heap measured around the load),
 * generates seeded synthetic events, round-trips them through JSON so that the
 * matcher sees `JSON.parse`d objects (their hidden classes differ from object
 * literals'), times the indexed matcher, then checks that it and the naive one
 * agree on every event, then times the naive one. The indexed runs come first
 * so that their JIT state is what production would have (running every rule's
 * predicate first measurably slows the indexed path afterwards).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadRules, type RuleSource } from '../detectors/sigma/loader';
import { compileLogsourceConfig, type LogsourceConfig } from '../detectors/sigma/logsource-config';
import { RuleSet, type RuleSetStats } from '../detectors/sigma/rule-set';
import { parseYamlSource } from '../detectors/sigma/yaml-source';
import { windowsLogsourceConfig } from './windows-logsources';
import type { DetectionRule } from '../detectors/sigma/rule-types';
import { dockerEvents } from './gen-docker-events';
import { dockerRules } from './gen-docker-rules';
import { linuxEvents } from './gen-linux';
import { windowsEvents } from './gen-windows';
import { fmtInt, fmtUs, heapUsed, mb, measure, Rng, type TimingOptions } from './harness';

export interface Row {
  scenario: string;
  rules: number;
  eps: number;
  all: number[];
  /** Events per second of process CPU time (see harness Timing.epsCpu). */
  epsCpu: number;
}

export interface ScenarioResult {
  id: string;
  title: string;
  skipped?: string;
  rows: Row[];
  stats?: RuleSetStats;
  heapAfter?: number;
  heapDelta?: number;
  loadMs?: number;
  invariant?: string;
  bars: string[];
}

export interface BenchConfig {
  corpus: string;
  /** Events per pool; undefined: 20,000 (5,000 for scenario 2, whose naive check is slow). */
  events: number | undefined;
  timing: TimingOptions;
  seed: number;
}

const SUSPICIOUS_RATE = 0.01;

interface Loaded {
  ruleSet: RuleSet;
  stats: RuleSetStats;
  heapAfter: number;
  heapDelta: number;
  loadMs: number;
}

function readYamlTree(dir: string): RuleSource[] {
  const out: RuleSource[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/i.test(e.name)) out.push({ file: p, text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

function log(s = ''): void {
  process.stdout.write(s + '\n');
}

function load(sources: RuleSource[], logsources: LogsourceConfig[] = []): Loaded {
  const h0 = heapUsed();
  const t0 = performance.now();
  const res = loadRules(sources, { logsources });
  const ruleSet = new RuleSet(res.rules, logsources);
  const loadMs = performance.now() - t0;
  const heapAfter = heapUsed();
  const errors = res.problems.filter((p) => p.severity === 'error');
  log(
    `  ${sources.length} files → ${res.rules.length} rules loaded in ${loadMs.toFixed(0)} ms; ${errors.length} errors, ${res.problems.length - errors.length} warnings`,
  );
  for (const e of errors.slice(0, 5)) log(`    ${e.format()}`);
  const stats = ruleSet.stats();
  log(`  RuleSet stats: ${JSON.stringify(stats)}`);
  log(`  heap used after loading: ${mb(heapAfter)} (rules + index: +${mb(heapAfter - h0)})`);
  return { ruleSet, stats, heapAfter, heapDelta: heapAfter - h0, loadMs };
}

/** JSON round trip: the events the matcher sees come out of JSON.parse, as in production. */
function decode(objs: Record<string, unknown>[]): { lines: string[]; events: unknown[] } {
  const lines = objs.map((o) => JSON.stringify(o));
  const bytes = lines.reduce((s, l) => s + Buffer.byteLength(l), 0);
  log(`  ${fmtInt(lines.length)} events, ${(bytes / lines.length / 1024).toFixed(2)} KB of JSON on average`);
  return { lines, events: lines.map((l) => JSON.parse(l) as unknown) };
}

/**
 * Indexed vs naive on every event; also what matched (to judge the data's
 * realism) and how many rules the index let through per event (predicates are
 * wrapped with a counter for this pass only, then restored).
 */
function checkInvariant(rs: RuleSet, events: unknown[]): string {
  let mismatches = 0;
  let matched = 0;
  let hits = 0;
  let counting = false;
  let evaluated = 0;
  const evalByRule = new Uint32Array(rs.rules.length);
  const byRule = new Map<number, number>();
  const examples: string[] = [];
  const saved = rs.rules.map((r) => r.predicate);
  rs.rules.forEach((r, ri) => {
    const p = saved[ri] as DetectionRule['predicate'];
    r.predicate = (ctx) => {
      if (counting) {
        evaluated++;
        evalByRule[ri] = (evalByRule[ri] as number) + 1;
      }
      return p(ctx);
    };
  });
  try {
    events.forEach((e, i) => {
      counting = true;
      const a = rs.matchIndexes(e);
      counting = false;
      const b = rs.matchAllNaive(e);
      if (a.length > 0) matched++;
      hits += a.length;
      for (const r of a) byRule.set(r, (byRule.get(r) ?? 0) + 1);
      if (a.length !== b.length || a.some((x, k) => x !== b[k])) {
        mismatches++;
        if (examples.length < 5) examples.push(`event #${i}: indexed [${a.join(',')}] vs naive [${b.join(',')}]`);
      }
    });
  } finally {
    rs.rules.forEach((r, ri) => (r.predicate = saved[ri] as DetectionRule['predicate']));
  }
  const pct = (x: number): string => `${((100 * x) / events.length).toFixed(2)}%`;
  log(`  events with ≥1 match: ${fmtInt(matched)} (${pct(matched)}), ${fmtInt(hits)} matches in all; most frequent:`);
  const title = (ri: number): string => (rs.rules[ri]?.title ?? String(ri)).slice(0, 70);
  for (const [ri, n] of [...byRule.entries()].sort((x, y) => y[1] - x[1]).slice(0, 5))
    log(`    ${String(n).padStart(6)} × ${title(ri)}`);
  log(
    `  index: ${(evaluated / events.length).toFixed(1)} of ${fmtInt(rs.rules.length)} rules evaluated per event; most evaluated (evaluations, matches):`,
  );
  const top = [...evalByRule.keys()].sort((x, y) => (evalByRule[y] as number) - (evalByRule[x] as number)).slice(0, 5);
  for (const ri of top)
    log(`    ${String(evalByRule[ri]).padStart(6)} ${String(byRule.get(ri) ?? 0).padStart(6)}  ${title(ri)}`);
  if (mismatches === 0) {
    const msg = `OK: indexed == naive on all ${fmtInt(events.length)} events`;
    log(`  invariant ${msg}`);
    return msg;
  }
  const msg = `MISMATCH on ${mismatches} of ${events.length} events`;
  const bang = '!'.repeat(78);
  log('');
  log(`  ${bang}`);
  log(`  !!! ${msg}: matchIndexes and matchAllNaive disagree !!!`);
  for (const x of examples) log(`  !!!   ${x}`);
  log(`  ${bang}`);
  log('');
  return msg;
}

function timed(
  label: string,
  rules: number,
  poolSize: number,
  batch: (from: number, to: number) => number,
  cfg: BenchConfig,
): Row {
  const t = measure(poolSize, batch, cfg.timing);
  const runs = t.all.map((x) => fmtInt(x)).join(' / ');
  log(
    `  ${label.padEnd(32)} ${fmtInt(t.eps).padStart(9)} events/s ${fmtUs(t.eps).padStart(9)} µs/event  (runs: ${runs}; per CPU-second: ${fmtInt(t.epsCpu)})`,
  );
  return { scenario: label, rules, eps: t.eps, all: t.all, epsCpu: t.epsCpu };
}

function matchBatch(rs: RuleSet, events: unknown[]): (from: number, to: number) => number {
  return (from, to) => {
    let n = 0;
    for (let i = from; i < to; i++) n += rs.matchIndexes(events[i]).length;
    return n;
  };
}

function naiveBatch(rs: RuleSet, events: unknown[]): (from: number, to: number) => number {
  return (from, to) => {
    let n = 0;
    for (let i = from; i < to; i++) n += rs.matchAllNaive(events[i]).length;
    return n;
  };
}

// ---------------------------------------------------------------- 1. SigmaHQ Linux

export function linux(cfg: BenchConfig): ScenarioResult {
  const title = '1. sigmahq/rules/linux on Linux process-creation / auditd events';
  log(title);
  const dir = path.join(cfg.corpus, 'linux');
  if (!fs.existsSync(dir)) {
    log(`  SKIPPED: ${dir} not found (set SIGMAHQ_RULES or --corpus to the SigmaHQ rules/ directory)`);
    return { id: '1', title, skipped: `${dir} not found`, rows: [], bars: [] };
  }
  const l = load(readYamlTree(dir));
  const { events } = decode(linuxEvents(new Rng(cfg.seed + 1), cfg.events ?? 20_000, SUSPICIOUS_RATE));
  const n = l.stats.rules;
  const rows = [timed('1 linux: indexed', n, events.length, matchBatch(l.ruleSet, events), cfg)];
  const invariant = checkInvariant(l.ruleSet, events);
  return {
    id: '1',
    title,
    rows,
    stats: l.stats,
    heapAfter: l.heapAfter,
    heapDelta: l.heapDelta,
    loadMs: l.loadMs,
    invariant,
    bars: [],
  };
}

// ---------------------------------------------------------------- 2. all SigmaHQ rules, Windows events

export const WINDOWS_BAR = 20_000;

export function windows(cfg: BenchConfig): ScenarioResult {
  const title = '2. all sigmahq/rules on Windows process-creation events, no logsource configuration';
  log(title);
  if (!fs.existsSync(cfg.corpus)) {
    log(`  SKIPPED: ${cfg.corpus} not found (set SIGMAHQ_RULES or --corpus to the SigmaHQ rules/ directory)`);
    return { id: '2', title, skipped: `${cfg.corpus} not found`, rows: [], bars: [] };
  }
  const l = load(readYamlTree(cfg.corpus));
  const { events } = decode(windowsEvents(new Rng(cfg.seed + 2), cfg.events ?? 5_000, SUSPICIOUS_RATE));
  const n = l.stats.rules;
  const idx = timed('2 windows: indexed', n, events.length, matchBatch(l.ruleSet, events), cfg);
  const invariant = checkInvariant(l.ruleSet, events);
  const naive = timed('2 windows: naive (every rule)', n, events.length, naiveBatch(l.ruleSet, events), cfg);
  const bars = [
    `bar: ≥ ${fmtInt(WINDOWS_BAR)} events/s per core at ${fmtInt(n)} rules → ${fmtInt(idx.eps)} events/s: ${idx.eps >= WINDOWS_BAR ? 'MET' : 'MISSED'}`,
    `index gain over naive: ×${(idx.eps / naive.eps).toFixed(1)}`,
  ];
  for (const b of bars) log(`  ${b}`);
  return {
    id: '2',
    title,
    rows: [idx, naive],
    stats: l.stats,
    heapAfter: l.heapAfter,
    heapDelta: l.heapDelta,
    loadMs: l.loadMs,
    invariant,
    bars,
  };
}

/** The same rules and events under a logsource configuration, as deployed: each rule sees its own log type. */
export function windowsWithLogsources(cfg: BenchConfig): ScenarioResult {
  const title = '2b. all sigmahq/rules on Windows process-creation events, with a logsource configuration';
  log(title);
  if (!fs.existsSync(cfg.corpus)) {
    log(`  SKIPPED: ${cfg.corpus} not found`);
    return { id: '2b', title, skipped: `${cfg.corpus} not found`, rows: [], bars: [] };
  }
  const cfgDoc = parseYamlSource('windows-logsources.yml', windowsLogsourceConfig()).documents[0];
  const compiledCfg = cfgDoc ? compileLogsourceConfig(cfgDoc, 'windows-logsources.yml') : undefined;
  if (!compiledCfg?.config)
    throw new Error(`benchmark logsource config: ${compiledCfg?.errors.map((e) => e.format()).join('; ')}`);
  const l = load(readYamlTree(cfg.corpus), [compiledCfg.config]);
  const { events } = decode(windowsEvents(new Rng(cfg.seed + 2), cfg.events ?? 5_000, SUSPICIOUS_RATE));
  const n = l.stats.rules;
  const idx = timed('2b windows: indexed, logsources', n, events.length, matchBatch(l.ruleSet, events), cfg);
  const invariant = checkInvariant(l.ruleSet, events);
  const bars = [
    `bar: ≥ ${fmtInt(WINDOWS_BAR)} events/s per core at ${fmtInt(n)} rules → ${fmtInt(idx.eps)} events/s: ${idx.eps >= WINDOWS_BAR ? 'MET' : 'MISSED'}`,
  ];
  for (const b of bars) log(`  ${b}`);
  return {
    id: '2b',
    title,
    rows: [idx],
    stats: l.stats,
    heapAfter: l.heapAfter,
    heapDelta: l.heapDelta,
    loadMs: l.loadMs,
    invariant,
    bars,
  };
}

// ---------------------------------------------------------------- 3. 100 generated Docker rules

export function docker(cfg: BenchConfig): ScenarioResult {
  const title = '3. 100 generated Docker rules on Docker Engine API audit events';
  log(title);
  const l = load(dockerRules(100));
  const { lines, events } = decode(dockerEvents(new Rng(cfg.seed + 3), cfg.events ?? 20_000, SUSPICIOUS_RATE));
  const rs = l.ruleSet;
  const n = l.stats.rules;
  const a = timed('3a docker: match (pre-decoded)', n, events.length, matchBatch(rs, events), cfg);
  const b = timed(
    '3b docker: JSON.parse only',
    0,
    lines.length,
    (from, to) => {
      let k = 0;
      for (let i = from; i < to; i++) {
        const o = JSON.parse(lines[i] as string) as { request?: unknown };
        if (o.request !== undefined) k++;
      }
      return k;
    },
    cfg,
  );
  const c = timed(
    '3c docker: JSON.parse + match',
    n,
    lines.length,
    (from, to) => {
      let k = 0;
      for (let i = from; i < to; i++) k += rs.matchIndexes(JSON.parse(lines[i] as string)).length;
      return k;
    },
    cfg,
  );
  const invariant = checkInvariant(rs, events);
  const naive = timed('3 docker: naive (every rule)', n, events.length, naiveBatch(rs, events), cfg);
  const ratio = b.eps / a.eps; // (1/a) / (1/b): match time over parse time
  const bars = [
    `match-time / parse-time = ${fmtUs(a.eps)} µs / ${fmtUs(b.eps)} µs = ${ratio.toFixed(2)} (bar ≤ 1.00 at 100 rules: ${ratio <= 1 ? 'MET' : 'MISSED'})`,
    `parse + match measured ${fmtUs(c.eps)} µs/event vs ${(1e6 / a.eps + 1e6 / b.eps).toFixed(2)} µs summed from 3a + 3b`,
    `index gain over naive: ×${(a.eps / naive.eps).toFixed(1)}`,
  ];
  for (const x of bars) log(`  ${x}`);
  return {
    id: '3',
    title,
    rows: [a, b, c, naive],
    stats: l.stats,
    heapAfter: l.heapAfter,
    heapDelta: l.heapDelta,
    loadMs: l.loadMs,
    invariant,
    bars,
  };
}

export const SCENARIOS: Record<string, (cfg: BenchConfig) => ScenarioResult> = {
  '1': linux,
  '2': windows,
  '2b': windowsWithLogsources,
  '3': docker,
};
