import { DockguardError } from '../errors';
import type { GroupState } from '../sigma/correlation';
import { PartitionState } from './partition-state';
import { TrackedCorrelationState } from './tracked-correlation-state';

const group = (t: number, refs: number[]): GroupState => ({
  v: 1,
  rule: 'c1',
  group: { 'source.ip': '192.0.2.1' },
  hits: refs.map((e, r) => ({ t: t + r, e: [e], r })),
  dropped: 0,
});

function filled(): PartitionState {
  const s = new PartitionState(3);
  s.correlation.set('g1', group(10, [1, 2]));
  s.correlation.set('g2', group(20, [5]));
  s.baselines.put('b', '{}', { k: 'r', c: 1, n: 2, l: 3, w: 4, x: 5, m: 1, s: 0, h: 2, a: -1 }, 10);
  s.baselines.put('b', '{"x":1}', { k: 'f', c: 1, n: 1, l: 1, v: new Map([['v', 1]]) }, 10);
  s.addRef(1, { i: 'e1', t: 10 });
  s.addRef(2, { i: 'e2', t: 11 });
  s.addRef(5, { i: 'e5', t: 20 });
  s.setMeta({ w: 20, x: 10, late: 1 });
  return s;
}

function view(s: PartitionState): unknown {
  return {
    corr: [...s.correlation.keys()].map((k) => [k, s.correlation.get(k)]),
    base: [...s.baselines.encoded()],
    refs: [...s.refs],
    meta: s.meta,
  };
}

describe('PartitionState', () => {
  it('snapshot → restore gives the same state, in the same LRU order', () => {
    const s = filled();
    const r = PartitionState.restore(3, s.snapshot());
    expect(view(r)).toEqual(view(s));
  });

  it('the changelog replayed in write order gives the same state', () => {
    const s = filled();
    const log = new Map<string, string | null>();
    const write = (): void => {
      for (const c of s.drainChanges()) {
        log.delete(c.key);
        log.set(c.key, c.value);
      }
    };
    write();
    s.correlation.delete('g1');
    s.correlation.set('g3', group(30, [7]));
    s.collectRefs();
    write();
    expect(s.drainChanges()).toEqual([]); // nothing changed since
    const r = new PartitionState(3);
    for (const [k, v] of log) r.applyChange(k, v);
    expect(view(r)).toEqual(view(s));
    expect([...r.refs.keys()]).toEqual([5]); // 1 and 2 were no longer referenced
    expect([...log.keys()].every((k) => k.startsWith('3/'))).toBe(true);
  });

  it('rejects damaged, foreign or other-version snapshots and records with STATE_RESTORE', () => {
    const snap = filled().snapshot();
    const codes = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof DockguardError ? e.code : 'other';
      }
      return undefined;
    };
    expect(codes(() => PartitionState.restore(4, snap))).toBe('STATE_RESTORE');
    expect(codes(() => PartitionState.restore(3, Buffer.from('DGS2xxxx')))).toBe('STATE_RESTORE');
    expect(codes(() => PartitionState.restore(3, Buffer.concat([snap.subarray(0, 10)])))).toBe('STATE_RESTORE');
    const r = new PartitionState(3);
    expect(codes(() => r.applyChange('4/corr/x', null))).toBe('STATE_RESTORE');
    expect(codes(() => r.applyChange('3/corr/x', '{"v":2}'))).toBe('STATE_RESTORE');
    expect(codes(() => r.applyChange('3/ref/1', 'not json'))).toBe('STATE_RESTORE');
    expect(codes(() => r.applyChange('3/what/1', '{}'))).toBe('STATE_RESTORE');
  });

  it('the correlation store is bounded, and an eviction reaches the changelog as a deletion', () => {
    const c = new TrackedCorrelationState(2);
    c.set('a', group(1, [1]));
    c.set('b', group(2, [2]));
    expect(c.drain().map((x) => x.key)).toEqual(['a', 'b']);
    c.set('c', group(3, [3]));
    expect([...c.keys()]).toEqual(['b', 'c']);
    expect(c.evictions).toBe(1);
    expect(c.drain().map((x) => [x.key, x.value === null])).toEqual([
      ['c', false],
      ['a', true],
    ]);
    expect(() => new TrackedCorrelationState(0)).toThrow(DockguardError);
  });

  it('drains correlation changes in order of last change, a key changed again counted at its last change', () => {
    const c = new TrackedCorrelationState(3);
    c.set('a', group(1, [1]));
    c.set('b', group(2, [2]));
    c.drain(); // both written: their deletions below are written too
    c.set('a', group(3, [3]));
    c.set('c', group(4, [4]));
    c.delete('b');
    c.set('d', group(5, [5]));
    c.set('e', group(6, [6])); // evicts a
    expect(c.drain().map((x) => [x.key, x.value === null])).toEqual([
      ['c', false],
      ['b', true],
      ['d', false],
      ['e', false],
      ['a', true],
    ]);
    c.set('c', group(7, [7]));
    expect(c.drain().map((x) => x.key)).toEqual(['c']);
  });

  it('a reference made and forgotten between two drains reaches the changelog not at all; a drained one is deleted', () => {
    const s = new PartitionState(0);
    s.correlation.set('g', group(1, [1]));
    s.addRef(1, { i: 'e1', t: 1 });
    s.addRef(2, { i: 'e2', t: 2 }); // its window closed before the drain
    s.collectRefs();
    const first = s.drainChanges().filter((c) => c.key.includes('/ref/'));
    expect(first).toEqual([{ key: '0/ref/1', value: JSON.stringify({ i: 'e1', t: 1 }) }]);
    s.correlation.delete('g');
    s.addRef(3, { i: 'e3', t: 3 });
    s.collectRefs();
    expect(s.drainChanges().filter((c) => c.key.includes('/ref/'))).toEqual([{ key: '0/ref/1', value: null }]);
    expect(s.refs.size).toBe(0);
  });

  it('a correlation group made and gone between two drains writes nothing; a drained or restored one is deleted', () => {
    const s = new PartitionState(0);
    s.correlation.set('kept', group(1, [1]));
    s.correlation.set('brief', group(2, [2]));
    s.correlation.delete('brief'); // matched and cleared before any checkpoint
    const corr = (r: PartitionState): unknown[] => r.drainChanges().filter((c) => c.key.includes('/corr/'));
    expect(corr(s)).toEqual([{ key: '0/corr/kept', value: JSON.stringify(group(1, [1])) }]);
    s.correlation.delete('kept');
    expect(corr(s)).toEqual([{ key: '0/corr/kept', value: null }]);
    // deleted once: gone from the changelog, so a second deletion is not written
    s.correlation.set('kept', group(3, [3]));
    s.correlation.delete('kept');
    expect(corr(s)).toEqual([]);
    const f = filled();
    const fromLog = new PartitionState(3);
    for (const c of f.drainChanges()) fromLog.applyChange(c.key, c.value);
    for (const r of [fromLog, PartitionState.restore(3, f.snapshot())]) {
      r.drainChanges();
      r.correlation.delete('g1');
      expect(corr(r)).toEqual([{ key: '3/corr/g1', value: null }]);
    }
  });

  it('after a restore, from the changelog or a snapshot, the deletion of a restored reference is written', () => {
    const s = filled();
    const fromLog = new PartitionState(3);
    for (const c of s.drainChanges()) fromLog.applyChange(c.key, c.value);
    const fromSnapshot = PartitionState.restore(3, s.snapshot());
    for (const r of [fromLog, fromSnapshot]) {
      r.drainChanges();
      r.correlation.delete('g1');
      r.collectRefs();
      const refs = r.drainChanges().filter((c) => c.key.includes('/ref/'));
      expect(refs).toEqual([
        { key: '3/ref/1', value: null },
        { key: '3/ref/2', value: null },
      ]);
    }
  });

  it('a random history drained at random points replays to the same references (no record skipped that mattered)', () => {
    let x = 7;
    const rnd = (n: number): number => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return x % n;
    };
    const s = new PartitionState(0);
    const log = new Map<string, string | null>();
    const drain = (): void => {
      for (const c of s.drainChanges()) {
        log.delete(c.key);
        if (c.value === null) log.set(c.key, null);
        else log.set(c.key, c.value);
      }
    };
    for (let i = 0; i < 3000; i++) {
      s.addRef(i, { i: `e${i}`, t: i });
      if (rnd(3) === 0) s.correlation.set(`g${rnd(20)}`, group(i, [i, Math.max(0, i - rnd(50))]));
      if (rnd(5) === 0) s.correlation.delete(`g${rnd(20)}`);
      if (rnd(40) === 0) s.collectRefs();
      if (rnd(100) === 0) drain();
    }
    s.collectRefs();
    drain();
    const r = new PartitionState(0);
    for (const [k, v] of log) r.applyChange(k, v);
    expect([...r.refs].sort((a, b) => a[0] - b[0])).toEqual([...s.refs].sort((a, b) => a[0] - b[0]));
    // and it is cheaper than a record per reference ever made
    expect([...log.keys()].filter((k) => k.includes('/ref/')).length).toBeLessThan(3000);
  });

  it('forgets unreferenced event ids as the map grows (amortised)', () => {
    const s = new PartitionState(0);
    s.correlation.set('g', group(1, [5000]));
    for (let i = 0; i < 5000; i++) s.addRef(i, { i: `e${i}`, t: i });
    s.addRef(5000, { i: 'kept', t: 1 });
    expect(s.refs.size).toBeLessThan(2100);
    s.collectRefs();
    expect([...s.refs.keys()]).toEqual([5000]);
  });
});
