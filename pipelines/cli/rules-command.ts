/** `dockguard rules lint` and `dockguard rules test`. */
import * as fs from 'fs';
import * as path from 'path';
import { DockguardError } from '../../detectors/errors';
import { isBaselineTest } from '../../detectors/baselines/baseline-test';
import { parseRuleTest, runRuleTest } from '../../detectors/sigma/rule-test';
import { parseYamlSource } from '../../detectors/sigma/yaml-source';
import { readBaselineFiles, runBaselineTestFile } from '../adapters/baseline-files';
import { listYamlFiles } from '../adapters/rule-files';
import { list, parse } from './args';
import { buildEngine } from './build-engine';
import { loadFromPaths, printProblems } from './load';

const LINT_USAGE = 'usage: dockguard rules lint <file|dir>… [--logsources <file>] [--placeholders <file>]';
const TEST_USAGE = 'usage: dockguard rules test <dir|file.test.yml>…';

export function lintCommand(argv: string[]): number {
  const { values, positionals } = parse(
    argv,
    { logsources: { type: 'string', multiple: true }, placeholders: { type: 'string' } },
    LINT_USAGE,
  );
  if (positionals.length === 0)
    throw new DockguardError({
      stage: 'config',
      code: 'OPTION_INVALID',
      message: `name a rule file or directory\n${LINT_USAGE}`,
    });
  // baseline definitions (a `baselines/` folder of the pack) are validated too, but are not Sigma rules
  const isBaselineDir = (p: string): boolean => path.basename(path.resolve(p)) === 'baselines';
  const baselineDirs = positionals.flatMap((p) =>
    isBaselineDir(p) ? [p] : fs.existsSync(path.join(p, 'baselines')) ? [path.join(p, 'baselines')] : [],
  );
  const loaded = loadFromPaths({
    rules: positionals.filter((p) => !isBaselineDir(p)),
    logsources: list(values['logsources']),
    placeholders: typeof values['placeholders'] === 'string' ? values['placeholders'] : undefined,
  });
  const built = buildEngine(loaded);
  // file order, then line and column: how an author reads them
  const problems = [...loaded.problems, ...built.problems, ...readBaselineFiles(baselineDirs).errors].sort(
    (a, b) =>
      (a.location?.file ?? '').localeCompare(b.location?.file ?? '') ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0),
  );
  printProblems(problems);
  const errors = problems.filter((p) => p.severity === 'error').length;
  const r = loaded.result;
  process.stdout.write(
    `${r.rules.length} rules, ${built.correlationCount} correlations, ${r.filters.length} filters loaded; ` +
      `${errors} errors, ${problems.length - errors} warnings\n`,
  );
  return errors > 0 ? 1 : 0;
}

export function testCommand(argv: string[]): number {
  const { positionals } = parse(argv, {}, TEST_USAGE);
  if (positionals.length === 0)
    throw new DockguardError({
      stage: 'config',
      code: 'OPTION_INVALID',
      message: `name a directory of rule tests\n${TEST_USAGE}`,
    });
  let passed = 0;
  let failed = 0;
  const problems: DockguardError[] = [];
  for (const p of positionals) {
    let files: string[];
    try {
      files = fs.statSync(p).isFile() ? [p] : listYamlFiles(p, { tests: true });
    } catch (e) {
      problems.push(
        new DockguardError({ stage: 'io', code: 'IO_READ', message: `cannot read ${p}: ${(e as Error).message}` }),
      );
      failed++;
      continue;
    }
    for (const file of files) {
      const parsed = parseYamlSource(file, fs.readFileSync(file, 'utf8'));
      const doc = parsed.documents[0];
      if (doc && isBaselineTest(doc)) {
        const b = runBaselineTestFile(file, doc);
        passed += b.passed;
        failed += b.failed;
        problems.push(...b.problems);
        continue;
      }
      const { test, errors } = doc ? parseRuleTest(doc) : { test: undefined, errors: [] };
      if (!test || !doc) {
        problems.push(...parsed.errors, ...errors);
        if (!doc && parsed.errors.length === 0)
          problems.push(
            new DockguardError({
              stage: 'test',
              code: 'RULE_TEST_INVALID',
              message: `${file} is empty`,
              location: { file, line: 1, column: 1 },
            }),
          );
        failed++;
        continue;
      }
      const dir = path.dirname(file);
      const loaded = loadFromPaths({
        rules: test.rules.map((r) => path.resolve(dir, r)),
        logsources: test.logsources.map((l) => path.resolve(dir, l)),
        placeholders: test.placeholders && path.resolve(dir, test.placeholders),
      });
      const firstEngine = buildEngine(loaded);
      const loadErrors = [...loaded.problems, ...firstEngine.problems].filter((x) => x.severity === 'error');
      if (loadErrors.length > 0) {
        problems.push(...loadErrors);
        failed += test.cases.length;
        process.stdout.write(`FAIL ${file}: its rules do not load\n`);
        continue;
      }
      let first = true;
      const results = runRuleTest(test, doc, () => {
        if (first) {
          first = false;
          return firstEngine.engine;
        }
        return buildEngine(loaded).engine;
      });
      for (const r of results) {
        if (r.passed) {
          passed++;
          process.stdout.write(`ok   ${file}: ${r.name}\n`);
        } else {
          failed++;
          const why = [
            r.missing.length ? `expected but not matched: ${r.missing.join(', ')}` : '',
            r.unexpected.length ? `matched but not expected: ${r.unexpected.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; ');
          process.stdout.write(`FAIL ${file}:${r.location?.line ?? 1}: ${r.name}: ${why}\n`);
        }
      }
    }
  }
  printProblems(problems);
  process.stdout.write(`rule-tests: ${passed} passed, ${failed} failed\n`);
  return failed > 0 || passed === 0 ? 1 : 0;
}
