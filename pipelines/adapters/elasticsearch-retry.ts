/**
 * Retry policy for Elasticsearch writes: exponential backoff with full jitter
 * (each wait is uniform in [base, min(cap, base·2^attempt)]), without an attempt
 * limit. The indexer does not drop a document because Elasticsearch is down:
 * Kafka holds the backlog, and the consumer stops fetching while a batch waits
 * here, so memory stays bounded by one batch. Jitter keeps a fleet of indexers
 * from hammering a recovering cluster in lock-step.
 */
import { DockguardError } from '../../detectors/errors';

export interface RetryOptions {
  /** First wait, milliseconds. */
  baseMs: number;
  /** Longest wait, milliseconds. */
  maxMs: number;
  /** Stops retrying (shutdown): the pending wait ends and `retry` throws. */
  signal?: AbortSignal;
  /** Uniform random in [0, 1); injectable for tests. */
  random?: () => number;
  /** Called before each wait (logging, consumer heartbeats). */
  onRetry?: (attempt: number, delayMs: number, reason: string) => void | Promise<void>;
}

export const DEFAULT_RETRY: RetryOptions = { baseMs: 100, maxMs: 30_000 };

export function backoffDelay(attempt: number, o: Pick<RetryOptions, 'baseMs' | 'maxMs' | 'random'>): number {
  const ceiling = Math.min(o.maxMs, o.baseMs * 2 ** Math.min(attempt, 30));
  const r = (o.random ?? Math.random)();
  return Math.round(o.baseMs + r * Math.max(0, ceiling - o.baseMs));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Thrown when a retry loop is stopped by its signal: nothing was acknowledged. */
export function abortedError(reason: string): DockguardError {
  return new DockguardError({
    stage: 'runtime',
    code: 'ELASTICSEARCH_UNAVAILABLE',
    retriable: true,
    message: `stopped while retrying: ${reason}`,
  });
}
