import { resolveRaw, scalarString } from '../sigma/event-context';
import { bounded, fieldFirstRaw, fieldString, fieldStrings, fieldValues } from './event-fields';

/** The definition the compiled readers must agree with: resolveRaw, arrays flattened, scalars as text. */
function reference(event: unknown, name: string): string[] {
  const raw = resolveRaw(event, name, name.split('.'));
  if (!raw) return [];
  const leaves: unknown[] = [];
  const flat = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(flat);
    else leaves.push(v);
  };
  raw.forEach(flat);
  return leaves.map(scalarString).filter((s): s is string => s !== undefined);
}

class Record1 {
  constructor(readonly source: unknown) {}
}
// an inherited value must never be read: only own properties are fields
Object.defineProperty(Record1.prototype, 'inherited', { value: { ip: 'from-prototype' } });

const EVENTS: unknown[] = [
  { source: { ip: '192.0.2.1', port: 40000 }, process: { args: ['sh', '-c', 7, true, null] } },
  { 'source.ip': '203.0.113.7', source: { ip: '10.0.0.1' } }, // a flattened key wins
  { source: [{ ip: 'a' }, { ip: ['b', 'c'] }, { other: 1 }] }, // arrays on the way
  [{ source: { ip: 'in-array' } }],
  { source: null, user: { name: null }, url: { query: '' } },
  { source: { ip: { nested: 'object' } } },
  new Record1({ ip: '198.51.100.2' }),
  { 'we"ird': { 'na\\me': 'quoted' }, 'a.b': { c: 'flat-then-nested' } },
  { constructor: { name: 'own' } },
  { 'source.ip': undefined, source: { ip: 'nested-behind-undefined' }, user: { name: undefined } },
  Object.assign(Object.create({ 'source.ip': 'inherited-flat' }), { source: { ip: 'own-nested' } }),
  Object.assign(Object.create(null), { source: Object.assign(Object.create(null), { ip: 'null-prototype' }) }),
  JSON.parse('{"__proto__": {"ip": "own-proto-key"}}'),
  'not an object',
  null,
];
const NAMES = [
  'source.ip',
  'source.port',
  'process.args',
  'user.name',
  'url.query',
  'inherited.ip',
  'constructor.name',
  '__proto__.ip',
  'toString',
  'we"ird.na\\me',
  'a.b.c',
  'source',
  'missing.deeply.nested.field',
];

describe('event fields', () => {
  it('read what resolveRaw finds, for every shape and name (own properties only, arrays flattened)', () => {
    for (const e of EVENTS)
      for (const name of NAMES) {
        const want = reference(e, name);
        expect([e, name, fieldStrings(e, name)]).toEqual([e, name, want]);
        expect([e, name, [...fieldValues(e, name)]]).toEqual([e, name, want]);
        expect([e, name, fieldString(e, name)]).toEqual([e, name, want.find((s) => s !== '') ?? null]);
        expect([e, name, fieldFirstRaw(e, name)]).toEqual([e, name, resolveRaw(e, name, name.split('.'))?.[0]]);
      }
  });

  it('never reads inherited values', () => {
    expect(fieldStrings(new Record1({ ip: 'x' }), 'inherited.ip')).toEqual([]);
    expect(fieldString({}, 'constructor.name')).toBeNull();
  });

  it('gives each caller of fieldStrings its own array', () => {
    const a = fieldStrings({}, 'x.y');
    a.push('mine');
    expect(fieldStrings({}, 'x.y')).toEqual([]);
  });

  it('bounded() cuts to the bound with an ellipsis and never splits a surrogate pair', () => {
    expect(bounded('abcdef', 10)).toBe('abcdef');
    expect(bounded('abcdef', 4)).toBe('abc…');
    for (let max = 1; max <= 8; max++) {
      const out = bounded('ab😀😀😀😀', max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.endsWith('…')).toBe(true);
      // every high surrogate is followed by its low surrogate
      expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(out)).toBe(false);
    }
  });
});
