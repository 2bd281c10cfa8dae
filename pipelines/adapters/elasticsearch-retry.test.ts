import { backoffDelay, sleep } from './elasticsearch-retry';

describe('Elasticsearch retry backoff', () => {
  test('grows exponentially from base to the cap, jitter inside [base, ceiling]', () => {
    const o = { baseMs: 100, maxMs: 10_000 };
    expect(backoffDelay(0, { ...o, random: () => 0.999999 })).toBe(100);
    expect(backoffDelay(3, { ...o, random: () => 0.999999 })).toBe(800);
    expect(backoffDelay(3, { ...o, random: () => 0 })).toBe(100);
    // capped, also for huge attempt numbers (no overflow to Infinity or NaN)
    for (const attempt of [7, 8, 50, 10_000]) {
      const d = backoffDelay(attempt, { ...o, random: () => 0.999999 });
      expect(d).toBeLessThanOrEqual(10_000);
      expect(d).toBeGreaterThanOrEqual(9_999);
    }
  });

  test('jitter spreads delays (a fleet does not retry in lock-step)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) seen.add(backoffDelay(6, { baseMs: 100, maxMs: 30_000 }));
    expect(seen.size).toBeGreaterThan(20);
  });

  test('an aborted sleep ends at once', async () => {
    const ac = new AbortController();
    const started = performance.now();
    const p = sleep(60_000, ac.signal);
    ac.abort();
    await p;
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
