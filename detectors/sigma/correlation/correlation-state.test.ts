import { DockguardError } from '../../errors';
import { isGroupState, MemoryCorrelationState, type GroupState } from './correlation-state';

function state(t: number): GroupState {
  return { v: 1, rule: 'r', group: { User: 'u' }, hits: [{ t, e: [t], r: 0 }], dropped: 0 };
}

describe('MemoryCorrelationState', () => {
  it('gets, sets, deletes and lists keys', () => {
    const s = new MemoryCorrelationState();
    s.set('a', state(1));
    s.set('b', state(2));
    expect(s.get('a')?.hits[0]?.t).toBe(1);
    expect([...s.keys()]).toEqual(['a', 'b']);
    s.delete('a');
    expect(s.get('a')).toBeUndefined();
    expect(s.size).toBe(1);
    expect(s.evictions).toBe(0);
  });

  it('enforces the key bound by evicting the least recently updated key, and counts it', () => {
    const s = new MemoryCorrelationState({ maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) s.set(k, state(0));
    s.set('a', state(1)); // `a` is now the most recently updated
    s.set('d', state(2));
    s.set('e', state(3));
    expect([...s.keys()]).toEqual(['a', 'd', 'e']);
    expect(s.size).toBe(3);
    expect(s.evictions).toBe(2);
  });

  it('stays within its bound under a flood of distinct keys', () => {
    const s = new MemoryCorrelationState({ maxKeys: 100 });
    for (let i = 0; i < 100_000; i++) s.set(`attacker-${i}`, state(i));
    expect(s.size).toBe(100);
    expect(s.evictions).toBe(99_900);
  });

  it.each([0, -1, 1.5, NaN])('rejects maxKeys %p with a config error', (maxKeys) => {
    expect(() => new MemoryCorrelationState({ maxKeys })).toThrow(DockguardError);
    try {
      new MemoryCorrelationState({ maxKeys });
    } catch (e) {
      expect(e).toMatchObject({ stage: 'config', code: 'OPTION_INVALID' });
    }
  });
});

describe('isGroupState', () => {
  it('accepts a state after a JSON round trip (what a changelog topic gives back)', () => {
    const s: GroupState = {
      v: 1,
      rule: 'r',
      group: { User: 'u', port: 22, admin: true, ips: ['a', 'b'], missing: null },
      hits: [
        { t: 1, e: [1, 2], r: 0, v: '["x"]' },
        { t: 2, e: [3], r: 1, n: 5.5 },
      ],
      dropped: 3,
    };
    const back: unknown = JSON.parse(JSON.stringify(s));
    expect(isGroupState(back)).toBe(true);
    expect(back).toEqual(s);
  });

  it.each([
    ['null', null],
    ['another version', { ...state(1), v: 2 }],
    ['a hit without time', { ...state(1), hits: [{ e: [], r: 0 }] }],
    ['a non-finite sum value', { ...state(1), hits: [{ t: 1, e: [], r: 0, n: 'x' }] }],
    ['an object group value', { ...state(1), group: { User: { a: 1 } } }],
    ['no rule', { ...state(1), rule: 3 }],
  ])('rejects %s', (_name, s) => expect(isGroupState(s)).toBe(false));
});
