import { PendingCalls } from './docker-authz-pending';

describe('PendingCalls', () => {
  const make = (timeoutMs = 1000, max = 100) => {
    const expired: Array<[string, string]> = [];
    const p = new PendingCalls<string>(timeoutMs, max, (v, why) => expired.push([v, why]));
    return { p, expired };
  };

  it('matches identical keys first in, first out', () => {
    const { p } = make();
    p.add('k', 'a', 0);
    p.add('k', 'b', 1);
    p.add('j', 'c', 2);
    expect(p.take('k')).toBe('a');
    expect(p.take('j')).toBe('c');
    expect(p.take('k')).toBe('b');
    expect(p.take('k')).toBeUndefined();
    expect(p.size).toBe(0);
  });

  it('expires entries past their deadline, oldest first, each once', () => {
    const { p, expired } = make(1000);
    p.add('a', 'a', 0);
    p.add('b', 'b', 500);
    p.add('a', 'a2', 900);
    expect(p.sweep(999)).toBe(0);
    expect(p.sweep(1000)).toBe(1);
    expect(p.sweep(1500)).toBe(1);
    expect(expired).toEqual([
      ['a', 'timeout'],
      ['b', 'timeout'],
    ]);
    expect(p.take('a')).toBe('a2');
    expect(p.sweep(10_000)).toBe(0);
  });

  it('is bounded: the oldest entry leaves early when full', () => {
    const { p, expired } = make(1000, 3);
    for (let i = 0; i < 5; i++) p.add(`k${i % 2}`, `v${i}`, i);
    expect(p.size).toBe(3);
    expect(expired).toEqual([
      ['v0', 'overflow'],
      ['v1', 'overflow'],
    ]);
    expect(p.take('k0')).toBe('v2');
    expect(p.take('k1')).toBe('v3');
    expect(p.take('k0')).toBe('v4');
  });

  it('holds 100,000 entries within the bound and drains them all once', () => {
    const { p, expired } = make(1000, 50_000);
    for (let i = 0; i < 100_000; i++) p.add(`k${i % 1000}`, `v${i}`, 0);
    expect(p.size).toBe(50_000);
    p.drain();
    expect(p.size).toBe(0);
    expect(expired).toHaveLength(100_000);
    expect(new Set(expired.map(([v]) => v)).size).toBe(100_000);
  });
});
