// Query fidelity of `dockguard rules export`: for every rule of sigma-rules/ that
// exports, the Elasticsearch query returns exactly the audit events that the engine's
// own compiled rule matches. Events: the seed attack, every event of every rule test
// (positive and negative cases), and a case-flipped copy of each (Sigma matches
// case-insensitively; a query that forgot it would miss those).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import type { Client } from '@elastic/elasticsearch';
import { exportRules } from '../../detectors/export/export-rules';
import { loadRules } from '../../detectors/sigma/loader';
import { toLucene } from '../../detectors/export/query-lucene';
import { Unsupported } from '../../detectors/export/query-tree';
import { EventContext } from '../../detectors/sigma/event-context';
import { listYamlFiles } from '../../pipelines/adapters/rule-files';
import { loadFromPaths } from '../../pipelines/cli/load';
import { auditExportOptions } from '../../pipelines/indexer/audit-fields';
import { skipReason } from '../services/local-services';
import { componentMappings, createIndex, esClient, esUrl, unique } from './es-test-kit';

const root = path.resolve(__dirname, '../..');

/** Detection sections (YAML, indented two spaces) of rules written for this test. */
const SYNTHETIC = [
  "  sel:\n    process.command_line|contains|cased: 'curl '\n  condition: sel",
  '  sel:\n    http.response.status_code: 201\n  condition: sel',
  '  sel:\n    http.response.status_code|gte: 400\n  condition: sel',
  '  sel:\n    dockguard.container.privileged: true\n  condition: sel',
  "  sel:\n    source.ip|cidr: ['203.0.113.0/24', '10.0.0.0/8']\n  condition: sel",
  '  sel:\n    source.ip: null\n  condition: sel',
  '  sel:\n    dockguard.endpoint|exists: true\n  condition: sel',
  '  sel:\n    dockguard.endpoint|neq: /containers/create\n  condition: sel',
  '  sel:\n    process.command_line|contains|all: [curl, bash]\n  condition: sel',
  '  a:\n    process.command_line|contains: curl\n  b:\n    process.command_line|contains: wget\n  c:\n    process.command_line|contains: bash\n  condition: 2 of them',
  "  sel:\n    process.command_line|windash|contains: ' -c '\n  condition: sel",
  "  sel:\n    process.command_line|base64offset|contains: 'curl'\n  condition: sel",
  "  sel:\n    process.args|re: '^/usr/s?bin/'\n  condition: sel",
  "  sel:\n    process.command_line|re|i: '(^|[;&|]\\s*)CHROOT\\s'\n  condition: sel",
  '  sel:\n    dockguard.query.fromImage|startswith: alp\n  condition: sel',
  '  sel:\n    http.request.method|cased: POST\n  filter:\n    source.ip|cidr: 10.0.0.0/8\n  condition: sel and not filter',
];
const rulesDir = path.join(root, 'sigma-rules');

function collectEvents(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const seed = fs.readFileSync(path.join(root, 'examples/events/seed-attack.jsonl'), 'utf8');
  for (const line of seed.split('\n')) if (line.trim()) events.push(JSON.parse(line) as Record<string, unknown>);
  for (const file of listYamlFiles(rulesDir, { tests: true })) {
    const doc = yaml.load(fs.readFileSync(file, 'utf8')) as { cases?: Array<{ event?: unknown; events?: unknown[] }> };
    for (const c of doc?.cases ?? []) {
      if (c.event && typeof c.event === 'object') events.push(c.event as Record<string, unknown>);
      for (const e of c.events ?? []) if (e && typeof e === 'object') events.push(e as Record<string, unknown>);
    }
  }
  return events;
}

/** Upper-cases every string value (not keys), except ones whose type would break (ip, dates). */
function flipCase(v: unknown, key = ''): unknown {
  if (typeof v === 'string') return key === 'ip' || key === '@timestamp' ? v : v.toUpperCase();
  if (Array.isArray(v)) return v.map((x) => flipCase(x, key));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flipCase(x, k === 'query' ? '' : k)]));
  return v;
}

const suite = esUrl ? describe : describe.skip;

suite(esUrl ? 'rules export fidelity (real Elasticsearch)' : skipReason('ELASTICSEARCH_URL', 'elasticsearch'), () => {
  let client: Client;
  const index = unique('dgtest-fidelity-');
  /** id → the document as Elasticsearch holds it */
  const indexed = new Map<string, Record<string, unknown>>();
  let rejected = 0;

  beforeAll(async () => {
    client = esClient();
    await createIndex(client, index, componentMappings('dockguard-audit-mappings.json'));
    const events = collectEvents();
    const all = [...events, ...events.map((e) => flipCase(e) as Record<string, unknown>)];
    const operations: unknown[] = [];
    all.forEach((doc, i) => operations.push({ create: { _index: index, _id: String(i) } }, doc));
    const r = await client.bulk({ operations, refresh: 'wait_for' });
    r.items.forEach((it, i) => {
      if (it.create?.status === 201) indexed.set(String(i), all[i] as Record<string, unknown>);
      else rejected++;
    });
  });

  afterAll(async () => {
    await client.indices.delete({ index, ignore_unavailable: true });
    await client.close();
  });

  test('the rule tests and the seed attack give a corpus the strict mapping accepts', () => {
    expect(indexed.size).toBeGreaterThan(100);
    // events with fields outside the schema are the only ones refused
    expect(rejected).toBeLessThan(indexed.size / 10);
  });

  test('every exported rule returns exactly the events the engine matches (DSL and Lucene)', async () => {
    const loaded = loadFromPaths({ rules: [rulesDir], logsources: [] });
    expect(loaded.errorCount).toBe(0);
    const result = exportRules(loaded.result, {
      format: 'kibana-ndjson',
      ...auditExportOptions(),
      index,
    });
    expect(result.exported.length).toBeGreaterThan(0);
    const mismatches: string[] = [];
    let positives = 0;
    let luceneChecked = 0;
    for (const e of result.exported) {
      const expected = new Set<string>();
      for (const [id, doc] of indexed) if (e.rule.predicate(new EventContext(doc))) expected.add(id);
      positives += expected.size;
      const filters = e.output['filters'] as Array<{ query: Record<string, unknown> }>;
      const dsl = filters[0]?.query as Record<string, unknown>;
      const got = await search(client, index, dsl);
      if (!sameSet(expected, got)) mismatches.push(describeDiff(e.rule.title, 'dsl', expected, got));
      let lucene: string | undefined;
      try {
        lucene = toLucene(e.query);
      } catch (err) {
        if (!(err instanceof Unsupported)) throw err;
      }
      if (lucene !== undefined) {
        luceneChecked++;
        const gotL = await search(client, index, { query_string: { query: lucene, allow_leading_wildcard: true } });
        if (!sameSet(expected, gotL)) mismatches.push(describeDiff(e.rule.title, 'lucene', expected, gotL));
      }
    }
    process.stdout.write(
      `fidelity: ${result.exported.length} rules exported and checked on ${indexed.size} events ` +
        `(${positives} rule matches, ${luceneChecked} also as Lucene), ${result.problems.length} reported unsupported\n`,
    );
    expect(mismatches).toEqual([]);
    // the corpus exercises the rules: most exported rules match something
    expect(positives).toBeGreaterThan(result.exported.length);
  });

  test('constructs the rule pack does not use yet translate exactly too (cased, numbers, booleans, cidr, neq, null, exists, all, N of, windash, base64offset)', async () => {
    const rules = SYNTHETIC.map(
      (d, i) =>
        `title: synthetic ${i}\nid: 00000000-0000-4000-8000-${String(i).padStart(12, '0')}\nlogsource: { product: docker }\nlevel: low\ndetection:\n${d}`,
    );
    const load = loadRules(rules.map((text, i) => ({ file: `synthetic-${i}.yml`, text })));
    expect(load.problems.filter((p) => p.severity === 'error').map((p) => p.format())).toEqual([]);
    const result = exportRules(load, {
      format: 'kibana-ndjson',
      ...auditExportOptions(),
      index,
    });
    expect(result.problems.map((p) => p.format())).toEqual([]);
    const mismatches: string[] = [];
    let lucene = 0;
    let positives = 0;
    for (const e of result.exported) {
      const expected = new Set<string>();
      for (const [id, doc] of indexed) if (e.rule.predicate(new EventContext(doc))) expected.add(id);
      positives += expected.size > 0 ? 1 : 0;
      const dsl = (e.output['filters'] as Array<{ query: Record<string, unknown> }>)[0]?.query as Record<
        string,
        unknown
      >;
      const got = await search(client, index, dsl);
      if (!sameSet(expected, got)) mismatches.push(describeDiff(e.rule.title, 'dsl', expected, got));
      try {
        const q = toLucene(e.query);
        lucene++;
        const gotL = await search(client, index, { query_string: { query: q, allow_leading_wildcard: true } });
        if (!sameSet(expected, gotL)) mismatches.push(describeDiff(e.rule.title, `lucene ${q}`, expected, gotL));
      } catch (err) {
        if (!(err instanceof Unsupported)) throw err;
      }
    }
    expect(mismatches).toEqual([]);
    expect(lucene).toBeGreaterThanOrEqual(6);
    // most synthetic rules match some event of the corpus (the comparison is not vacuous)
    expect(positives).toBeGreaterThanOrEqual(SYNTHETIC.length / 2);
  });
});

/** The matching ids; a query Elasticsearch refuses counts as matching nothing (and so fails the comparison). */
async function search(client: Client, index: string, query: Record<string, unknown>): Promise<Set<string>> {
  try {
    const r = await client.search({ index, size: 10_000, _source: false, query: query as never });
    return new Set(r.hits.hits.map((h) => h._id as string));
  } catch (e) {
    return new Set([`refused: ${(e as Error).message.slice(0, 300)}`]);
  }
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function describeDiff(title: string, how: string, expected: Set<string>, got: Set<string>): string {
  const missing = [...expected].filter((x) => !got.has(x));
  const extra = [...got].filter((x) => !expected.has(x));
  return `${title} (${how}): missing ${missing.slice(0, 5).join(',')} extra ${extra.slice(0, 3).join(',')}`;
}
