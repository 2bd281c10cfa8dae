/**
 * `dockguard rules export --format kibana-ndjson|esql|lucene [--rules dir]…`:
 * prints one JSON object per exported rule on stdout (kibana-ndjson is the
 * Elastic Security `_import` format) and, on stderr, one EXPORT_UNSUPPORTED
 * warning per rule that has no exact translation. Exit 0 when the rules loaded
 * (unsupported rules are warnings), 2 on load errors or bad options.
 */
import { DockguardError } from '../../detectors/errors';
import { EXPORT_FORMATS, exportRules, type ExportFormat } from '../../detectors/export/export-rules';
import { auditExportOptions } from '../indexer/audit-fields';
import { list, parse } from './args';
import { loadFromPaths, printProblems } from './load';

const USAGE =
  'usage: dockguard rules export --format kibana-ndjson|esql|lucene [--rules <file|dir>]… [--index <pattern>] [--placeholders <file>]';

export function exportCommand(argv: string[]): number {
  const { values, positionals } = parse(
    argv,
    {
      format: { type: 'string' },
      rules: { type: 'string', multiple: true },
      index: { type: 'string' },
      placeholders: { type: 'string' },
    },
    USAGE,
  );
  const format = values['format'];
  if (typeof format !== 'string' || !(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new DockguardError({
      stage: 'config',
      code: 'OPTION_INVALID',
      message: `--format must be one of ${EXPORT_FORMATS.join(', ')}\n${USAGE}`,
    });
  const rules = [...list(values['rules']), ...positionals];
  const loaded = loadFromPaths({
    rules: rules.length > 0 ? rules : ['sigma-rules'],
    logsources: [],
    placeholders: typeof values['placeholders'] === 'string' ? values['placeholders'] : undefined,
  });
  printProblems(loaded.problems);
  if (loaded.errorCount > 0) return 2;
  const result = exportRules(loaded.result, {
    format: format as ExportFormat,
    ...auditExportOptions(),
    index: typeof values['index'] === 'string' ? values['index'] : 'logs-dockguard.audit-*',
  });
  for (const e of result.exported) process.stdout.write(JSON.stringify(e.output) + '\n');
  printProblems(result.problems);
  process.stderr.write(
    `${result.exported.length} rules exported, ${result.problems.length} not exported (EXPORT_UNSUPPORTED)\n`,
  );
  return 0;
}
