/**
 * Filesystem adapter for baselines: reads baseline definitions
 * (`sigma-rules/baselines/*.yml`) and an optional GeoIP CSV, reloads them on
 * change (a file set with any error keeps the previous definitions), and runs
 * baseline tests for `dockguard rules test`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadBaselines, type BaselineDef, type BaselineSource } from '../../detectors/baselines/baseline-config';
import { parseBaselineTest, runBaselineTest } from '../../detectors/baselines/baseline-test';
import { GeoIpTable, parseGeoIpCsv } from '../../detectors/baselines/geoip';
import { DockguardError } from '../../detectors/errors';
import type { SourceDocument } from '../../detectors/sigma/yaml-source';
import { watchPaths } from './intel-files';
import { listYamlFiles } from './rule-files';

function ioError(p: string, e: unknown): DockguardError {
  return new DockguardError({
    stage: 'io',
    code: 'IO_READ',
    message: `cannot read ${p}: ${(e as Error).message}`,
    location: { file: p, line: 1, column: 1 },
    cause: e,
  });
}

export function readBaselineFiles(
  paths: readonly string[],
  overrides?: Readonly<Record<string, unknown>>,
): { defs: BaselineDef[]; errors: DockguardError[] } {
  const sources: BaselineSource[] = [];
  const errors: DockguardError[] = [];
  for (const p of paths) {
    let files: string[];
    try {
      files = listYamlFiles(p, { tests: false });
    } catch (e) {
      errors.push(ioError(p, e));
      continue;
    }
    for (const f of files)
      try {
        sources.push({ file: f, text: fs.readFileSync(f, 'utf8') });
      } catch (e) {
        errors.push(ioError(f, e));
      }
  }
  const loaded = loadBaselines(sources, overrides);
  return { defs: loaded.defs, errors: [...errors, ...loaded.errors] };
}

export function readGeoIpFile(file: string): { table: GeoIpTable; errors: DockguardError[] } {
  try {
    return parseGeoIpCsv(file, fs.readFileSync(file, 'utf8'));
  } catch (e) {
    return { table: new GeoIpTable(), errors: [ioError(file, e)] };
  }
}

/** Keeps baseline definitions current; a reload with any error keeps the previous definitions. */
export class BaselineFiles {
  private stop: (() => void) | undefined;
  defs: BaselineDef[];
  errors: DockguardError[];

  constructor(private readonly paths: readonly string[]) {
    const r = readBaselineFiles(paths);
    this.defs = r.defs;
    this.errors = r.errors;
  }

  watch(onLoad: (defs: BaselineDef[], errors: DockguardError[]) => void, debounceMs = 500): void {
    this.stop?.();
    this.stop = watchPaths(
      this.paths,
      () => {
        const r = readBaselineFiles(this.paths);
        this.errors = r.errors;
        if (!r.errors.some((e) => e.severity === 'error')) this.defs = r.defs;
        onLoad(this.defs, r.errors);
      },
      { debounceMs },
    );
  }

  close(): void {
    this.stop?.();
    this.stop = undefined;
  }
}

/** Runs one baseline test file for `dockguard rules test`; prints a line per case. */
export function runBaselineTestFile(
  file: string,
  doc: SourceDocument,
  out: (line: string) => void = (l) => void process.stdout.write(`${l}\n`),
): { passed: number; failed: number; problems: DockguardError[] } {
  const { test, errors } = parseBaselineTest(doc);
  if (!test) return { passed: 0, failed: 1, problems: errors };
  const dir = path.dirname(file);
  const loaded = readBaselineFiles(
    test.baselines.map((b) => path.resolve(dir, b)),
    test.parameters,
  );
  const geo = test.geoip ? readGeoIpFile(path.resolve(dir, test.geoip)) : undefined;
  const loadErrors = [...loaded.errors, ...(geo?.errors ?? [])].filter((e) => e.severity === 'error');
  if (loadErrors.length > 0) {
    out(`FAIL ${file}: its baselines do not load`);
    return { passed: 0, failed: test.cases.length, problems: loadErrors };
  }
  let passed = 0;
  let failed = 0;
  for (const r of runBaselineTest(test, doc, loaded.defs, geo?.table)) {
    if (r.passed) {
      passed++;
      out(`ok   ${file}: ${r.name}`);
    } else {
      failed++;
      const why = [
        r.missing.length ? `expected but not fired: ${r.missing.join(', ')}` : '',
        r.unexpected.length ? `fired but not expected: ${r.unexpected.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      out(`FAIL ${file}:${r.location?.line ?? 1}: ${r.name}: ${why}`);
    }
  }
  return { passed, failed, problems: [] };
}
