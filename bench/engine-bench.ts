/**
 * Sigma engine throughput on one core. Run through `npm run bench` (bench/run.js
 * builds, then runs dist/bench/engine-bench.js with --expose-gc).
 *
 * Each scenario runs in a fresh child process by default, so that one scenario's
 * event shapes and rules do not leave the JIT's inline caches polymorphic for the
 * next (production processes see one kind of event). The parent prints the
 * summary.
 *
 * Options:
 *   --only 1,2,3      scenarios to run (default all)
 *   --events N        events per scenario pool (default 20000; 5000 for scenario 2,
 *                     where checking every event against all 3,141 rules one by
 *                     one takes ~15 ms an event)
 *   --run-ms MS       minimum length of one timed run (default 2500)
 *   --warmup-ms MS    warm-up before the timed runs (default 1500)
 *   --runs N          timed runs; the median is reported (default 3)
 *   --quick           --run-ms 500 --warmup-ms 300 --events 5000
 *   --seed N          PRNG seed (default 20261128)
 *   --corpus DIR      SigmaHQ rules/ directory (default $SIGMAHQ_RULES or
 *                     /work/shared/reference/sigmahq/rules)
 *   --in-process      run all scenarios in this process
 */
import '../pipelines/runtime/v8-flags';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { environment, fmtInt, fmtUs, hasGc, mb, sinkValue, table } from './harness';
import { SCENARIOS, type BenchConfig, type ScenarioResult } from './scenarios';

interface Args {
  only: string[];
  cfg: BenchConfig;
  inProcess: boolean;
  resultFile?: string;
}

function parseArgs(argv: string[]): Args {
  const cfg: BenchConfig = {
    corpus: process.env['SIGMAHQ_RULES'] ?? '/work/shared/reference/sigmahq/rules',
    events: undefined,
    seed: 20261128,
    timing: { runMs: 2500, warmupMs: 1500, runs: 3 },
  };
  let only = Object.keys(SCENARIOS);
  let inProcess = false;
  let resultFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = (): number => {
      const n = Number(val());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a} needs a positive number`);
      return n;
    };
    switch (a) {
      case '--only':
        only = val()
          .split(',')
          .map((s) => s.trim());
        for (const o of only)
          if (!SCENARIOS[o]) throw new Error(`unknown scenario "${o}" (have ${Object.keys(SCENARIOS).join(', ')})`);
        break;
      case '--events':
        cfg.events = Math.floor(num());
        break;
      case '--run-ms':
        cfg.timing.runMs = num();
        break;
      case '--warmup-ms':
        cfg.timing.warmupMs = num();
        break;
      case '--runs':
        cfg.timing.runs = Math.floor(num());
        break;
      case '--quick':
        cfg.timing = { runMs: 500, warmupMs: 300, runs: 3 };
        cfg.events = 5000;
        break;
      case '--seed':
        cfg.seed = Math.floor(num());
        break;
      case '--corpus':
        cfg.corpus = val();
        break;
      case '--in-process':
        inProcess = true;
        break;
      case '--result-file':
        resultFile = val();
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return { only, cfg, inProcess, ...(resultFile ? { resultFile } : {}) };
}

function log(s = ''): void {
  process.stdout.write(s + '\n');
}

/** Runs one scenario in a child process (same node flags), returns its result. */
function runChild(id: string, argv: string[]): ScenarioResult {
  const file = path.join(os.tmpdir(), `dockguard-bench-${process.pid}-${id}.json`);
  const passOn: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--only') i++;
    else if (a !== '--in-process') passOn.push(a);
  }
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, __filename, ...passOn, '--only', id, '--result-file', file],
    {
      stdio: 'inherit',
    },
  );
  try {
    if (r.status !== 0) throw new Error(`scenario ${id} exited with ${r.status ?? r.signal}`);
    return JSON.parse(fs.readFileSync(file, 'utf8')) as ScenarioResult;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

function summary(results: ScenarioResult[], cfg: BenchConfig): void {
  log('');
  log('='.repeat(100));
  log(
    `Summary (one thread; median of ${cfg.timing.runs} runs of ≥ ${(cfg.timing.runMs / 1000).toFixed(1)} s after ${(cfg.timing.warmupMs / 1000).toFixed(1)} s warm-up; events from JSON.parse; seed ${cfg.seed})`,
  );
  log('');
  const rows: string[][] = [];
  for (const r of results) {
    if (r.skipped) rows.push([`${r.id} (skipped: ${r.skipped})`, '-', '-', '-', '-']);
    for (const x of r.rows)
      rows.push([x.scenario, x.rules === 0 ? '-' : fmtInt(x.rules), fmtInt(x.eps), fmtUs(x.eps), fmtInt(x.epsCpu)]);
  }
  log(
    table(['scenario', 'rules loaded', 'events/s', 'µs/event', 'events/CPU-s'], rows, [false, true, true, true, true]),
  );
  log('(events/s and µs/event: wall clock. events/CPU-s: per second of process CPU time; much higher than');
  log(' events/s means other processes were taking the core, so the wall-clock figures understate.)');
  log('');
  const srows: string[][] = [];
  for (const r of results) {
    if (!r.stats) continue;
    const s = r.stats;
    srows.push([
      r.id,
      fmtInt(s.rules),
      fmtInt(s.indexedRules),
      fmtInt(s.alwaysEvaluated),
      fmtInt(s.indexedFields),
      fmtInt(s.automatonNodes),
      `${((r.loadMs ?? 0) / 1000).toFixed(2)} s`,
      mb(r.heapAfter ?? 0),
      `+${mb(r.heapDelta ?? 0)}`,
    ]);
  }
  if (srows.length > 0) {
    log(
      table(
        ['scenario', 'rules', 'indexed', 'always', 'fields', 'AC nodes', 'load', 'heap after load', 'rules+index'],
        srows,
        [false, true, true, true, true, true, true, true, true],
      ),
    );
    log('');
  }
  for (const r of results) {
    if (r.invariant) log(`${r.id}: invariant ${r.invariant}`);
    for (const b of r.bars) log(`${r.id}: ${b}`);
  }
}

/** Which engine was measured: commit and uncommitted changes (read-only git queries). */
function sourceState(): string {
  const root = path.resolve(__dirname, '..', '..');
  const git = (...a: string[]): string =>
    execFileSync('git', ['-C', root, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git('log', '-1', '--format=%h %s');
    const dirty = git('status', '--porcelain', '--', 'detectors', 'pipelines/runtime')
      .split('\n')
      .filter((l) => l.trim() !== '');
    return `engine source: ${head}${dirty.length > 0 ? ` + ${dirty.length} uncommitted changes under detectors/ and pipelines/runtime/` : ''}`;
  } catch {
    return 'engine source: (not a git checkout)';
  }
}

function main(): void {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const child = args.resultFile !== undefined;
  if (!child) {
    for (const l of environment()) log(l);
    log(sourceState());
    if (!hasGc()) log('note: run with --expose-gc for heap figures after a full GC (bench/run.js does)');
    const pool = args.cfg.events === undefined ? '20,000 (5,000 in scenario 2)' : fmtInt(args.cfg.events);
    log(`events per pool: ${pool}, ~1% suspicious; SigmaHQ corpus: ${args.cfg.corpus}`);
    const [l1] = os.loadavg();
    log(`load average at the start: ${(l1 ?? 0).toFixed(2)} (1 min) on ${os.cpus().length} cores`);
    log('');
  }
  const results: ScenarioResult[] = [];
  for (const id of args.only) {
    if (child || args.inProcess) {
      results.push((SCENARIOS[id] as (c: BenchConfig) => ScenarioResult)(args.cfg));
      log('');
    } else results.push(runChild(id, argv));
  }
  if (child) {
    fs.writeFileSync(args.resultFile as string, JSON.stringify(results[0]));
    if (sinkValue() === 0.5) log(''); // keeps the sink alive
    return;
  }
  summary(results, args.cfg);
  const [l1, l5] = os.loadavg();
  log(
    `load average at the end: ${(l1 ?? 0).toFixed(2)} (1 min), ${(l5 ?? 0).toFixed(2)} (5 min) on ${os.cpus().length} cores`,
  );
  if (results.some((r) => r.invariant?.startsWith('MISMATCH'))) {
    log('');
    log('!!! MISMATCH between indexed and naive matching: see above !!!');
    process.exitCode = 2;
  }
}

main();
