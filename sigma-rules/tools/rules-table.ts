/**
 * Generates docs/rules.md, the table of every rule of the Docker rule pack, from the rule
 * files themselves so the documentation cannot drift from the pack:
 *
 *   npx tsx sigma-rules/tools/rules-table.ts          # rewrite docs/rules.md
 *   npx tsx sigma-rules/tools/rules-table.ts --check  # exit 1 when docs/rules.md is stale
 *
 * test/rules/rules-table.test.ts fails when the committed table differs from the generated one.
 * The column "FP on benign run" comes from docs/benign-run.json, the findings per rule of
 * one run of test/scenarios/benign-traffic.test.ts (DOCKGUARD_BENIGN_REPORT=docs/benign-run.json);
 * without that file it holds "—" for every rule.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const RULES_DIR = path.join(REPO_ROOT, 'sigma-rules', 'docker');
export const TABLE_FILE = path.join(REPO_ROOT, 'docs', 'rules.md');
export const BENIGN_RUN_FILE = path.join(REPO_ROOT, 'docs', 'benign-run.json');

/** The committed report of one benign run: findings per rule id over `calls` API calls. */
export interface BenignRun {
  calls: number;
  findingsPerRule: Record<string, number>;
}

export function readBenignRun(file: string = BENIGN_RUN_FILE): BenignRun | null {
  if (!fs.existsSync(file)) return null;
  const o = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<BenignRun>;
  if (typeof o.calls !== 'number' || typeof o.findingsPerRule !== 'object' || o.findingsPerRule === null)
    throw new Error(`${file}: expected { calls: number, findingsPerRule: { <rule id>: count } }`);
  return { calls: o.calls, findingsPerRule: o.findingsPerRule };
}

export interface RuleFile {
  /** path relative to the repository root, with forward slashes */
  file: string;
  text: string;
}

export interface RuleRow {
  id: string;
  title: string;
  name: string;
  level: string;
  kind: 'detection' | 'correlation' | 'building block';
  techniques: string[];
  fields: string[];
  falsepositives: string[];
  file: string;
}

const LEVEL_ORDER = ['critical', 'high', 'medium', 'low', 'informational'];

type Doc = Record<string, unknown>;

function isObject(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Field names a detection reads: the keys of its search identifiers, modifiers removed. */
function detectionFields(detection: unknown): string[] {
  const out = new Set<string>();
  if (!isObject(detection)) return [];
  for (const [id, search] of Object.entries(detection)) {
    if (id === 'condition' || id === 'timeframe') continue;
    const maps = Array.isArray(search) ? search.filter(isObject) : isObject(search) ? [search] : [];
    for (const m of maps) for (const key of Object.keys(m)) out.add(key.split('|')[0] ?? key);
    // a list of plain strings is a keyword search over the whole event
    if (Array.isArray(search) && search.some((s) => typeof s === 'string')) out.add('(keywords)');
  }
  return [...out];
}

function correlationFields(correlation: Doc): string[] {
  const out = [...strings(correlation['group-by']).map((g) => `group-by ${g}`)];
  const cond = correlation['condition'];
  if (isObject(cond) && typeof cond['field'] === 'string') out.push(`distinct ${cond['field']}`);
  out.push(`${String(correlation['type'])} of ${strings(correlation['rules']).join(', ')}`);
  return out;
}

function techniques(tags: unknown): string[] {
  return strings(tags)
    .filter((t) => /^attack\.t\d{4}(\.\d{3})?$/i.test(t))
    .map((t) => t.slice('attack.'.length).toUpperCase());
}

/** Pure: rule files in, one row per rule document (building blocks included), sorted by level then title. */
export function ruleRows(files: readonly RuleFile[]): RuleRow[] {
  const rows: RuleRow[] = [];
  const referenced = new Set<string>();
  const docs: Array<{ doc: Doc; file: string }> = [];
  for (const f of files) {
    for (const doc of yaml.loadAll(f.text)) {
      if (!isObject(doc)) continue;
      docs.push({ doc, file: f.file });
      const corr = doc['correlation'];
      if (isObject(corr)) for (const r of strings(corr['rules'])) referenced.add(r);
    }
  }
  for (const { doc, file } of docs) {
    const corr = doc['correlation'];
    const name = typeof doc['name'] === 'string' ? doc['name'] : '';
    const id = typeof doc['id'] === 'string' ? doc['id'] : '';
    const isBlock = !isObject(corr) && (referenced.has(name) || referenced.has(id)) && doc['level'] === 'informational';
    rows.push({
      id,
      title: typeof doc['title'] === 'string' ? doc['title'] : '',
      name,
      level: typeof doc['level'] === 'string' ? doc['level'] : '',
      kind: isObject(corr) ? 'correlation' : isBlock ? 'building block' : 'detection',
      techniques: techniques(doc['tags']),
      fields: isObject(corr) ? correlationFields(corr) : detectionFields(doc['detection']),
      falsepositives: strings(doc['falsepositives']),
      file,
    });
  }
  const rank = (l: string): number => (LEVEL_ORDER.includes(l) ? LEVEL_ORDER.indexOf(l) : LEVEL_ORDER.length);
  return rows.sort((a, b) => rank(a.level) - rank(b.level) || a.title.localeCompare(b.title, 'en'));
}

/** Markdown cell: pipes escaped, line breaks flattened. */
function cell(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** The whole docs/rules.md text (pure but for the default benign run, read from docs/benign-run.json). */
export function renderRulesTable(files: readonly RuleFile[], benign: BenignRun | null = readBenignRun()): string {
  const rows = ruleRows(files);
  const counts = LEVEL_ORDER.map(
    (l) => [l, rows.filter((r) => r.level === l && r.kind !== 'building block').length] as const,
  )
    .filter(([, n]) => n > 0)
    .map(([l, n]) => `${n} ${l}`)
    .join(', ');
  const reported = rows.filter((r) => r.kind !== 'building block');
  const lines = [
    '# Docker Engine API rule pack',
    '',
    '<!-- Generated by `npx tsx sigma-rules/tools/rules-table.ts` from sigma-rules/docker/; do not edit by hand',
    '     (test/rules/rules-table.test.ts fails when this file is stale). -->',
    '',
    `${reported.length} rules (${counts}) and ${rows.length - reported.length} building blocks, logsource`,
    '`product: docker`, `service: engine_api` (fields: `sigma-rules/README.md`). Levels: `high` and `critical`',
    'are reserved for what benign traffic (CI, compose, orchestrator polling, developer exec and logs, backups,',
    'monitoring agents) does not do; `examples/events/benign-operations.jsonl` must raise none of them.',
    'Building blocks are informational rules that correlations count or order; they are never reported alone.',
    '',
    benign
      ? `"FP on benign run": findings of the rule over ${benign.calls.toLocaleString('en')} calls of legitimate Docker API use ` +
        '(test/scenarios/benign-traffic.test.ts through the proxy collector; `docs/benign-run.json`).'
      : '"FP on benign run" is filled in when the benign-traffic generator runs against the pack (`—`: not run yet).',
    '',
    '| id | title | level | kind | ATT&CK | looks at | expected false positives | FP on benign run |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      '| ' +
        [
          `\`${r.id}\``,
          `${cell(r.title)}<br>\`${r.name}\``,
          r.level,
          r.kind,
          r.techniques.join(', ') || '—',
          r.fields.map((f) => `\`${cell(f)}\``).join(', '),
          cell(r.falsepositives.join('; ')) || '—',
          benign && r.kind !== 'building block' ? String(benign.findingsPerRule[r.id] ?? 0) : '—',
        ].join(' | ') +
        ' |',
    );
  }
  return lines.join('\n') + '\n';
}

/** The rule files of the pack (tests excluded), in a stable order. */
export function readRuleFiles(dir: string = RULES_DIR): RuleFile[] {
  const out: RuleFile[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name) && !/\.tests?\.ya?ml$/.test(e.name))
        out.push({ file: path.relative(REPO_ROOT, p).split(path.sep).join('/'), text: fs.readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

function main(argv: readonly string[]): number {
  const text = renderRulesTable(readRuleFiles());
  if (argv.includes('--check')) {
    const current = fs.existsSync(TABLE_FILE) ? fs.readFileSync(TABLE_FILE, 'utf8') : '';
    if (current === text) return 0;
    process.stderr.write(
      `${path.relative(process.cwd(), TABLE_FILE)} is stale: run npx tsx sigma-rules/tools/rules-table.ts\n`,
    );
    return 1;
  }
  fs.mkdirSync(path.dirname(TABLE_FILE), { recursive: true });
  fs.writeFileSync(TABLE_FILE, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), TABLE_FILE)}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
