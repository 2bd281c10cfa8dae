import { resolveRaw } from './event-context';
import { FieldCollector, FieldPlan } from './field-plan';
import { mulberryInts } from './test-helpers';

const FIELDS = ['a', 'a.b', 'a.b.c', 'a.d', 'x.y', 'x', 'q.r.s', 'k'];
const KEYS = ['a', 'b', 'c', 'd', 'x', 'y', 'q', 'r', 's', 'k', 'z', 'a.b', 'x.y'];

describe('FieldCollector', () => {
  it('collects what resolveRaw finds, over events whose keys come in changing orders and shapes', () => {
    const rnd = mulberryInts(7);
    const plan = new FieldPlan(FIELDS);
    const collector = new FieldCollector(plan);
    const value = (depth: number): unknown => {
      const r = rnd(10);
      if (depth > 3 || r < 4) return rnd(2) === 0 ? `v${rnd(5)}` : rnd(9);
      if (r < 6) return Array.from({ length: rnd(3) }, () => value(depth + 1));
      if (r === 6) return null;
      return object(depth + 1);
    };
    // objects whose prototype holds some of the planned names: inherited values are never found
    class Shaped {}
    Object.assign(Shaped.prototype, { b: 'inherited', k: undefined, 'a.b': 'inherited' });
    const object = (depth: number): Record<string, unknown> => {
      const kind = rnd(8);
      const o: Record<string, unknown> =
        kind === 0 ? (new Shaped() as Record<string, unknown>) : kind === 1 ? Object.create(null) : {};
      // an own key holding undefined is found (with that value), as resolveRaw finds it
      if (kind === 2) o[KEYS[rnd(KEYS.length)] as string] = undefined;
      // keys in a random order, so that the walk's memo of keys by position misses as well as hits
      const keys = [...KEYS].sort(() => rnd(3) - 1).slice(0, 1 + rnd(6));
      for (const k of keys) o[k] = value(depth);
      return o;
    };
    // a few shapes repeated (memo hits) among fresh ones (misses)
    const shapes = Array.from({ length: 5 }, () => object(0));
    let found = 0;
    for (let t = 0; t < 3000; t++) {
      const event = rnd(2) === 0 ? (shapes[rnd(shapes.length)] as Record<string, unknown>) : object(0);
      // the generated walk (no string callback) and the generic one (with it) alike
      for (const onString of [undefined, () => undefined]) {
        const c = collector.collect(event, onString);
        const got = new Map<string, unknown[]>();
        for (const id of c.found) got.set(plan.fields[id] as string, c.values[id] as unknown[]);
        expect(new Set(c.found).size).toBe(c.found.length);
        for (const f of FIELDS) {
          const want = resolveRaw(event, f, f.split('.'));
          if (want !== undefined) found++;
          expect([event, f, got.has(f), got.get(f)]).toEqual([event, f, want !== undefined, want]);
        }
      }
    }
    expect(found).toBeGreaterThan(6000);
  });
});
