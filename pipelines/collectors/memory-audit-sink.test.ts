import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { MemoryAuditSink } from './memory-audit-sink';

const ev = (id: string): DockerApiEvent => ({ event: { id } }) as unknown as DockerApiEvent;

describe('MemoryAuditSink', () => {
  it('delivers events in publish order to one consumer, then ends after close', async () => {
    const sink = new MemoryAuditSink(4);
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const e of sink) seen.push(e.event.id);
    })();
    for (let i = 0; i < 20; i++) await sink.publish(ev(`e${i}`));
    await sink.close();
    await consumer;
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`));
    expect(sink.count).toBe(20);
  });

  it('never holds more than its capacity: a publisher waits for room instead of dropping', async () => {
    const sink = new MemoryAuditSink(3);
    const done: number[] = [];
    const pubs = Array.from({ length: 5 }, (_, i) => sink.publish(ev(`e${i}`)).then(() => done.push(i)));
    await new Promise((r) => setImmediate(r));
    expect(sink.size).toBe(3);
    expect(done).toEqual([0, 1, 2]);
    const it = sink[Symbol.asyncIterator]();
    expect((await it.next()).value?.event.id).toBe('e0');
    await new Promise((r) => setImmediate(r));
    expect(sink.size).toBeLessThanOrEqual(3);
    expect(done).toEqual([0, 1, 2, 3]);
    expect(sink.drain().map((e) => e.event.id)).toEqual(['e1', 'e2', 'e3']);
    await Promise.all(pubs);
    expect(sink.drain().map((e) => e.event.id)).toEqual(['e4']);
  });

  it('accepting() is true until close; publish after close rejects', async () => {
    const sink = new MemoryAuditSink(2);
    expect(sink.accepting()).toBe(true);
    await sink.close();
    expect(sink.accepting()).toBe(false);
    await expect(sink.publish(ev('late'))).rejects.toThrow(/closed/);
  });

  it('a pending consumer ends when the sink closes empty', async () => {
    const sink = new MemoryAuditSink(2);
    const it = sink[Symbol.asyncIterator]();
    const next = it.next();
    await sink.close();
    expect(await next).toEqual({ value: undefined, done: true });
  });
});
