// deploy/kibana/dockguard.ndjson without a Kibana: every line is a saved object, every
// reference resolves inside the file, and every field the objects name (data view
// labels, saved search columns and sort, Lens columns, KQL queries) exists in the
// mapping of the index the object reads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ndjson } from '../../deploy/kibana/generate-ndjson';
import { leafFields, type Mapping } from '../../pipelines/indexer/avro-to-mapping';
import { componentMappings } from './es-test-kit';

type Obj = Record<string, unknown>;

const file = path.resolve(__dirname, '../../deploy/kibana/dockguard.ndjson');
const text = fs.readFileSync(file, 'utf8');
const objects = text
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as { type: string; id: string; attributes: Obj; references: Obj[] });

const fieldsOf: Record<string, Map<string, string>> = {
  'dockguard-findings': leafFields(
    componentMappings('dockguard-findings-mappings.json')['properties'] as Record<string, Mapping>,
  ),
  'dockguard-audit': leafFields(
    componentMappings('dockguard-audit-mappings.json')['properties'] as Record<string, Mapping>,
  ),
};

const byKey = new Map(objects.map((o) => [`${o.type}:${o.id}`, o]));

function dataViewOf(o: { references: Obj[] }): string {
  const ref = o.references.find((r) => r['type'] === 'index-pattern');
  if (!ref) throw new Error('no data view reference');
  return String(ref['id']);
}

/** Field names of `field : value` terms in a KQL query. */
function kqlFields(q: string): string[] {
  return [...q.matchAll(/([A-Za-z_@][\w.@]*)\s*:/g)].map((m) => m[1] as string);
}

describe('Kibana saved objects (deploy/kibana/dockguard.ndjson)', () => {
  test('the file is what the generator writes (regenerate with npx tsx deploy/kibana/generate-ndjson.ts)', () => {
    expect(text).toBe(ndjson());
  });

  test('every line is a saved object with type, id and attributes; ids are unique', () => {
    expect(objects.length).toBeGreaterThanOrEqual(7);
    for (const o of objects) {
      expect(typeof o.type).toBe('string');
      expect(typeof o.id).toBe('string');
      expect(typeof o.attributes).toBe('object');
      expect(Array.isArray(o.references)).toBe(true);
    }
    expect(byKey.size).toBe(objects.length);
    const types = objects.map((o) => o.type);
    expect(types.filter((t) => t === 'index-pattern')).toHaveLength(2);
    expect(types.filter((t) => t === 'dashboard')).toHaveLength(2);
    expect(types.filter((t) => t === 'search').length).toBeGreaterThanOrEqual(3);
  });

  test('every reference resolves within the file', () => {
    let checked = 0;
    for (const o of objects) {
      for (const r of o.references) {
        expect(byKey.has(`${String(r['type'])}:${String(r['id'])}`)).toBe(true);
        checked++;
      }
      if (o.type === 'search') {
        const ss = JSON.parse(String((o.attributes['kibanaSavedObjectMeta'] as Obj)['searchSourceJSON'])) as Obj;
        expect(o.references.map((r) => r['name'])).toContain(ss['indexRefName']);
      }
      if (o.type !== 'dashboard') continue;
      const panels = JSON.parse(String(o.attributes['panelsJSON'])) as Obj[];
      const names = new Set(o.references.map((r) => String(r['name'])));
      for (const p of panels) {
        const idx = String(p['panelIndex']);
        expect((p['gridData'] as Obj)['i']).toBe(idx);
        if (p['panelRefName']) expect(names.has(`${idx}:${String(p['panelRefName'])}`)).toBe(true);
        if (p['type'] === 'lens') {
          const attrs = (p['embeddableConfig'] as Obj)['attributes'] as Obj;
          for (const r of attrs['references'] as Obj[]) {
            expect(byKey.has(`index-pattern:${String(r['id'])}`)).toBe(true);
            // by-value panels: the dashboard carries the layer reference, prefixed with the panel index
            expect(names.has(`${idx}:${String(r['name'])}`)).toBe(true);
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  test('every field named exists in the mapping of the index the object reads', () => {
    const missing: string[] = [];
    let checked = 0;
    const need = (dv: string, field: string, where: string): void => {
      checked++;
      if (!fieldsOf[dv]?.has(field)) missing.push(`${where}: ${field} (${dv})`);
    };
    for (const o of objects) {
      if (o.type === 'index-pattern') {
        const dv = o.id;
        expect(fieldsOf[dv]).toBeDefined();
        for (const f of Object.keys(JSON.parse(String(o.attributes['fieldAttrs'])) as Obj)) need(dv, f, o.id);
        need(dv, String(o.attributes['timeFieldName']), o.id);
      }
      if (o.type === 'search') {
        const dv = dataViewOf(o);
        for (const c of o.attributes['columns'] as string[]) need(dv, c, o.id);
        for (const [f] of o.attributes['sort'] as [string, string][]) need(dv, f, o.id);
        const ss = JSON.parse(String((o.attributes['kibanaSavedObjectMeta'] as Obj)['searchSourceJSON'])) as {
          query: { query: string };
        };
        for (const f of kqlFields(ss.query.query)) need(dv, f, o.id);
      }
      if (o.type === 'dashboard') {
        for (const p of JSON.parse(String(o.attributes['panelsJSON'])) as Obj[]) {
          if (p['type'] !== 'lens') continue;
          const attrs = (p['embeddableConfig'] as Obj)['attributes'] as Obj;
          const dv = String((attrs['references'] as Obj[])[0]?.['id']);
          const state = attrs['state'] as Obj;
          const layers = ((state['datasourceStates'] as Obj)['formBased'] as Obj)['layers'] as Record<string, Obj>;
          for (const layer of Object.values(layers)) {
            const columns = layer['columns'] as Record<string, Obj>;
            expect(Object.keys(columns).sort()).toEqual([...(layer['columnOrder'] as string[])].sort());
            for (const c of Object.values(columns))
              if (c['sourceField'] !== '___records___') need(dv, String(c['sourceField']), String(p['title']));
            // the visualization names only columns of the layer
            const vis = JSON.stringify(state['visualization']);
            for (const id of vis.match(/"(xAccessor|splitAccessor|columnId)":"([^"]+)"/g) ?? [])
              expect(Object.keys(columns)).toContain(id.split(':')[1]!.replace(/"/g, ''));
          }
          for (const f of kqlFields(String((state['query'] as Obj)['query']))) need(dv, f, String(p['title']));
        }
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });
});
