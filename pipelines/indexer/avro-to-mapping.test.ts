import * as fs from 'fs';
import * as path from 'path';
import {
  arrayPaths,
  avroToProperties,
  FINDING_OVERRIDES,
  leafFields,
  nullablePaths,
  type Mapping,
} from './avro-to-mapping';
import { generatedMappingFiles } from './generate-mappings';

const root = path.resolve(__dirname, '../..');
const avsc = (name: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(path.join(root, 'schemas/avro', name), 'utf8')) as Record<string, unknown>;

/** Leaf paths of an Avro schema (records followed, arrays and unions looked through, maps are leaves). */
function avroLeaves(schema: unknown, prefix = '', named = new Map<string, unknown>(), out = new Set<string>()) {
  const walk = (s: unknown, p: string): void => {
    if (Array.isArray(s)) return s.filter((b) => b !== 'null').forEach((b) => walk(b, p));
    if (typeof s === 'string') {
      const ref = named.get(s);
      if (ref) walk(ref, p);
      else out.add(p);
      return;
    }
    const o = s as Record<string, unknown>;
    if (typeof o['name'] === 'string') named.set(o['name'], o);
    if (o['type'] === 'record')
      for (const f of o['fields'] as Array<{ name: string; type: unknown }>)
        walk(f.type, p ? `${p}.${f.name}` : f.name);
    else if (o['type'] === 'array') walk(o['items'], p);
    else out.add(p);
  };
  walk(schema, prefix);
  return out;
}

describe('Elasticsearch mappings from the Avro schemas', () => {
  test('the committed component templates are what the schemas generate (npx tsx pipelines/indexer/generate-mappings.ts)', () => {
    for (const [file, text] of Object.entries(generatedMappingFiles())) {
      const committed = JSON.parse(fs.readFileSync(path.join(root, 'schemas/elasticsearch', file), 'utf8')) as unknown;
      expect(committed).toEqual(JSON.parse(text));
    }
  });

  test.each([
    ['docker-api-event.avsc', 'dockguard-audit-mappings.json'],
    ['finding.avsc', 'dockguard-findings-mappings.json'],
  ])('every field of %s is mapped (strict mapping would refuse it otherwise)', (schema, file) => {
    const ct = JSON.parse(fs.readFileSync(path.join(root, 'schemas/elasticsearch', file), 'utf8')) as {
      template: { mappings: { dynamic: string; properties: Record<string, Mapping> } };
    };
    expect(ct.template.mappings.dynamic).toBe('strict');
    const mapped = leafFields(ct.template.mappings.properties);
    const missing = [...avroLeaves(avsc(schema))]
      .map((p) => (p === 'timestamp' ? '@timestamp' : p === 'rule.tags' ? 'tags' : p))
      .filter((p) => !mapped.has(p));
    expect(missing).toEqual([]);
  });

  test('ECS types where ECS wants them', () => {
    const f = leafFields(avroToProperties(avsc('finding.avsc'), FINDING_OVERRIDES));
    expect(f.get('@timestamp')).toBe('date');
    expect(f.get('source.ip')).toBe('ip');
    expect(f.get('process.command_line')).toBe('keyword');
    expect(f.get('process.command_line.text')).toBe('text');
    expect(f.get('message')).toBe('text');
    expect(f.get('event.severity')).toBe('long');
    expect(f.get('threat.technique.id')).toBe('keyword');
    expect(f.get('event.kind')).toBe('keyword');
    expect(f.has('rule.tags')).toBe(false);
    expect(f.get('tags')).toBe('keyword');
    const audit = JSON.parse(
      fs.readFileSync(path.join(root, 'schemas/elasticsearch/dockguard-audit-mappings.json'), 'utf8'),
    ) as { template: { mappings: { properties: Record<string, Mapping> } } };
    expect(leafFields(audit.template.mappings.properties).get('dockguard.query')).toBe('flattened');
  });

  test('array paths: arrays of strings and everything under an array of records', () => {
    const arrays = arrayPaths(avsc('docker-api-event.avsc'));
    expect(arrays.has('process.args')).toBe(true);
    expect(arrays.has('dockguard.container.binds')).toBe(true);
    expect(arrays.has('dockguard.container.mounts.source')).toBe(true);
    expect(arrays.has('process.command_line')).toBe(false);
    expect(arrays.has('dockguard.endpoint')).toBe(false);
  });

  test('nullable paths: unions with null, arrays, and everything under a nullable record', () => {
    const n = nullablePaths(avsc('docker-api-event.avsc'));
    expect(n.has('source.ip')).toBe(true);
    expect(n.has('process.args')).toBe(true);
    expect(n.has('dockguard.container.privileged')).toBe(true);
    expect(n.has('dockguard.endpoint')).toBe(false);
    expect(n.has('event.id')).toBe(false);
  });
});
