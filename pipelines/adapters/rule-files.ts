/**
 * Filesystem adapter for rule loading: reads rule files and directories,
 * placeholder files and logsource configurations. All reading happens here;
 * the engine only sees text.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DockguardError } from '../../detectors/errors';
import { compileLogsourceConfig, type LogsourceConfig } from '../../detectors/sigma/logsource-config';
import type { RuleSource } from '../../detectors/sigma/loader';
import { parseYamlSource } from '../../detectors/sigma/yaml-source';

/** Rule tests live beside rules and are not rules themselves. */
export const TEST_FILE = /\.tests?\.ya?ml$/;
/** Baseline definitions and indicator files sit in the rule pack but are not Sigma rules (their tests are run). */
const NON_RULE_DIRS = new Set(['baselines', 'intel']);
const YAML_FILE = /\.ya?ml$/;

function ioError(p: string, e: unknown): DockguardError {
  return new DockguardError({
    stage: 'io',
    code: 'IO_READ',
    message: `cannot read ${p}: ${(e as Error).message}`,
    location: { file: p, line: 1, column: 1 },
    cause: e,
  });
}

/** Lists YAML files under `p` (a file or a directory), sorted for a stable rule order. */
export function listYamlFiles(p: string, opts: { tests: boolean }): string[] {
  const st = fs.statSync(p);
  if (st.isFile()) return [p];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) {
        if (opts.tests || !NON_RULE_DIRS.has(e.name)) walk(full);
      } else if (e.isFile() && YAML_FILE.test(e.name) && TEST_FILE.test(e.name) === opts.tests) out.push(full);
    }
  };
  walk(p);
  return out;
}

export function readRuleSources(paths: readonly string[]): { sources: RuleSource[]; errors: DockguardError[] } {
  const sources: RuleSource[] = [];
  const errors: DockguardError[] = [];
  for (const p of paths) {
    let files: string[];
    try {
      files = listYamlFiles(p, { tests: false });
    } catch (e) {
      errors.push(ioError(p, e));
      continue;
    }
    for (const f of files) {
      try {
        sources.push({ file: f, text: fs.readFileSync(f, 'utf8') });
      } catch (e) {
        errors.push(ioError(f, e));
      }
    }
  }
  return { sources, errors };
}

/** A placeholder file maps names to a value or a list of values (YAML or JSON). */
export function readPlaceholders(p: string): { placeholders: Map<string, string[]>; errors: DockguardError[] } {
  const placeholders = new Map<string, string[]>();
  let text: string;
  try {
    text = fs.readFileSync(p, 'utf8');
  } catch (e) {
    return { placeholders, errors: [ioError(p, e)] };
  }
  const parsed = parseYamlSource(p, text);
  const errors = [...parsed.errors];
  const doc = parsed.documents[0];
  const v = doc?.value;
  if (!doc || v === null || typeof v !== 'object' || Array.isArray(v)) {
    if (errors.length === 0)
      errors.push(
        new DockguardError({
          stage: 'config',
          code: 'PLACEHOLDER_FILE_INVALID',
          message: 'expected a map of placeholder names to values',
          location: { file: p, line: 1, column: 1 },
        }),
      );
    return { placeholders, errors };
  }
  for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.every((x) => typeof x === 'string' || typeof x === 'number')) placeholders.set(k, list.map(String));
    else
      errors.push(
        new DockguardError({
          stage: 'config',
          code: 'PLACEHOLDER_FILE_INVALID',
          message: `placeholder "${k}" must be a string or a list of strings`,
          location: doc.positions.locate([k]),
        }),
      );
  }
  return { placeholders, errors };
}

export function readLogsourceConfigs(paths: readonly string[]): {
  configs: LogsourceConfig[];
  errors: DockguardError[];
} {
  const configs: LogsourceConfig[] = [];
  const errors: DockguardError[] = [];
  for (const p of paths) {
    let text: string;
    try {
      text = fs.readFileSync(p, 'utf8');
    } catch (e) {
      errors.push(ioError(p, e));
      continue;
    }
    const parsed = parseYamlSource(p, text);
    errors.push(...parsed.errors);
    for (const doc of parsed.documents) {
      const r = compileLogsourceConfig(doc, p);
      errors.push(...r.errors);
      if (r.config) configs.push(r.config);
    }
  }
  return { configs, errors };
}
