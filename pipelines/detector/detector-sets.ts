/**
 * Loads what the DetectorPipeline runs — Sigma rules, baselines, indicators — in
 * stages from files, and reloads them on change. A set with any error is
 * rejected as a whole and the previous set stays active (a bad rule file must
 * never silently switch detection off).
 */
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { DetectorPipeline, DetectorSets } from '../../detectors/detector-pipeline';
import type { DockguardError } from '../../detectors/errors';
import { compileRules } from '../../detectors/sigma/compile-engine';
import { readBaselineFiles, readGeoIpFile } from '../adapters/baseline-files';
import { loadIntelFiles, watchPaths } from '../adapters/intel-files';
import { loadFromPaths } from '../cli/load';
import type { DetectorConfig } from './detector-config';

export interface LoadedSets {
  /** Null when any error was found: nothing may be swapped in. */
  sets: DetectorSets | null;
  problems: DockguardError[];
  errorCount: number;
  counts: { rules: number; correlations: number; baselines: number; indicators: number };
}

export function loadDetectorSets(cfg: DetectorConfig): LoadedSets {
  const loaded = loadFromPaths({
    rules: cfg.rules,
    logsources: cfg.logsources,
    placeholders: cfg.placeholders ?? undefined,
  });
  const problems = [...loaded.problems];
  const compiled = compileRules(loaded.result, loaded.configs);
  problems.push(...compiled.problems);
  const baselines = readBaselineFiles(cfg.baselines);
  problems.push(...baselines.errors);
  const intel = loadIntelFiles(cfg.intel);
  problems.push(...intel.errors);
  let geo;
  if (cfg.geoip) {
    const g = readGeoIpFile(cfg.geoip);
    problems.push(...g.errors);
    geo = g.table;
  }
  const errorCount = problems.filter((p) => p.severity === 'error').length;
  const rulesRoot = cfg.rules.length === 1 ? path.resolve(cfg.rules[0]!) : undefined;
  return {
    sets:
      errorCount > 0
        ? null
        : {
            rules: compiled,
            baselines: baselines.defs,
            intel: intel.set,
            ...(geo ? { geo } : {}),
            ...(rulesRoot ? { rulesRoot } : {}),
          },
    problems,
    errorCount,
    counts: {
      rules: compiled.ruleSet.rules.length,
      correlations: compiled.correlations.length,
      baselines: baselines.defs.length,
      indicators: intel.set.size,
    },
  };
}

/**
 * Calls `onLoad` with a freshly loaded set whenever a rule, baseline or indicator
 * file changes (debounced). The caller swaps the set in only when `sets` is not null.
 */
export function watchDetectorSets(
  cfg: DetectorConfig,
  onLoad: (loaded: LoadedSets) => void,
  onError: (e: Error) => void,
  debounceMs = 500,
): { close(): void } {
  const paths = [...new Set([...cfg.rules, ...cfg.baselines, ...cfg.intel, ...(cfg.geoip ? [cfg.geoip] : [])])];
  const reload = (): void => {
    try {
      onLoad(loadDetectorSets(cfg));
    } catch (e) {
      onError(e as Error);
    }
  };
  return { close: watchPaths(paths, reload, { debounceMs, onError, recursive: true }) };
}

/**
 * Swaps a freshly loaded set into a running pipeline; a set with errors, or one
 * the pipeline cannot build engines from, is refused and the previous one stays.
 */
export function swapSets(pipeline: DetectorPipeline, loaded: LoadedSets, log: Logger): boolean {
  if (!loaded.sets) {
    log.error(
      { errors: loaded.problems.filter((p) => p.severity === 'error').map((p) => p.format()) },
      'reload refused: the previous rules, baselines and indicators stay active',
    );
    return false;
  }
  try {
    pipeline.reload(loaded.sets);
  } catch (err) {
    log.error({ err }, 'reload failed: the previous set stays active');
    return false;
  }
  log.info(loaded.counts, 'rules, baselines and indicators reloaded');
  return true;
}
