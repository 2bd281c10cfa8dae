/** Loads rules, placeholders and logsource configurations named on the command line. */
import type { DockguardError } from '../../detectors/errors';
import { loadRules, type LoadResult } from '../../detectors/sigma/loader';
import type { LogsourceConfig } from '../../detectors/sigma/logsource-config';
import { readLogsourceConfigs, readPlaceholders, readRuleSources } from '../adapters/rule-files';

export interface Loaded {
  result: LoadResult;
  configs: LogsourceConfig[];
  problems: DockguardError[];
  errorCount: number;
}

export function loadFromPaths(opts: {
  rules: string[];
  logsources: string[];
  placeholders?: string | undefined;
}): Loaded {
  const problems: DockguardError[] = [];
  const { configs, errors: cfgErrors } = readLogsourceConfigs(opts.logsources);
  problems.push(...cfgErrors);
  let placeholders = new Map<string, string[]>();
  if (opts.placeholders) {
    const r = readPlaceholders(opts.placeholders);
    placeholders = r.placeholders;
    problems.push(...r.errors);
  }
  const { sources, errors: ioErrors } = readRuleSources(opts.rules);
  problems.push(...ioErrors);
  const result = loadRules(sources, { placeholders, logsources: configs });
  problems.push(...result.problems);
  return { result, configs, problems, errorCount: problems.filter((p) => p.severity === 'error').length };
}

export function printProblems(problems: readonly DockguardError[]): void {
  for (const p of problems) process.stderr.write(p.format() + '\n');
}
