/**
 * An in-process AuditSink: a bounded queue that one consumer reads with
 * `for await`. `dockguard run` wires a collector to the detectors with it, and
 * tests read the events a collector published.
 *
 * Bounded, because a slow consumer must not let memory grow without limit:
 * when the queue is full `publish` waits for room (back-pressure on the API
 * call that produced the event) instead of dropping the event. The collector
 * awaits `publish`, so the caller sees added latency, never a lost audit record.
 */
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { AuditSink } from './audit-sink';

export class MemoryAuditSink implements AuditSink, AsyncIterable<DockerApiEvent> {
  private readonly queue: DockerApiEvent[] = [];
  /** Publishers waiting for room, in arrival order. */
  private readonly waitingPublishers: Array<() => void> = [];
  /** The consumer waiting for an event (at most one: one iterator). */
  private waitingConsumer: ((r: IteratorResult<DockerApiEvent>) => void) | null = null;
  private closed = false;
  private iterating = false;
  private published = 0;

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  accepting(): boolean {
    return !this.closed;
  }

  /** Events published so far (including those already consumed). */
  get count(): number {
    return this.published;
  }

  get size(): number {
    return this.queue.length;
  }

  async publish(event: DockerApiEvent): Promise<void> {
    while (!this.closed && this.queue.length >= this.capacity && this.waitingConsumer === null) {
      await new Promise<void>((resolve) => this.waitingPublishers.push(resolve));
    }
    if (this.closed) throw new Error('audit sink is closed');
    this.published++;
    const consumer = this.waitingConsumer;
    if (consumer) {
      this.waitingConsumer = null;
      consumer({ value: event, done: false });
      return;
    }
    this.queue.push(event);
  }

  /** Stops accepting; the consumer still receives what is queued, then the iteration ends. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waitingPublishers.splice(0)) w();
    if (this.waitingConsumer && this.queue.length === 0) {
      const c = this.waitingConsumer;
      this.waitingConsumer = null;
      c({ value: undefined, done: true });
    }
  }

  /** Removes and returns what is queued now (for tests and polling consumers). */
  drain(): DockerApiEvent[] {
    const out = this.queue.splice(0);
    for (const w of this.waitingPublishers.splice(0)) w();
    return out;
  }

  [Symbol.asyncIterator](): AsyncIterator<DockerApiEvent> {
    if (this.iterating) throw new Error('MemoryAuditSink has a single consumer');
    this.iterating = true;
    return {
      next: () => {
        const event = this.queue.shift();
        if (event !== undefined) {
          this.waitingPublishers.shift()?.();
          return Promise.resolve({ value: event, done: false });
        }
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waitingConsumer = resolve;
        });
      },
      return: () => {
        this.iterating = false;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
