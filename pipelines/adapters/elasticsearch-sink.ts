/**
 * Writes documents to Elasticsearch with `_bulk`, op_type `create` and the
 * document's own `_id` (the finding id, the audit event id): a replay after a
 * crash or a timed-out bulk that was in fact applied answers 409 per document,
 * which counts as written, so nothing is ever duplicated.
 *
 * Every item ends in one of three states, and `write` returns only when all
 * have one: `created`, `duplicate` (409), or `rejected` (a 4xx that is the
 * document's fault: mapping conflict, strict mapping, malformed value; the
 * caller dead-letters it). Whatever is not the document's fault — connection
 * errors, timeouts, 429, 5xx, cluster blocks, an error on the whole request — is
 * retried (see elasticsearch-retry.ts) until it succeeds or the signal stops it.
 */
import { Client, errors as esErrors } from '@elastic/elasticsearch';
import { abortedError, backoffDelay, DEFAULT_RETRY, sleep, type RetryOptions } from './elasticsearch-retry';

export interface BulkItem<R> {
  index: string;
  id: string;
  doc: Record<string, unknown>;
  /** The caller's handle (e.g. the Kafka record), returned with the result. */
  ref: R;
}

export interface RejectReason {
  status: number;
  type: string;
  reason: string;
}

export type ItemResult<R> =
  | { ref: R; id: string; outcome: 'created' | 'duplicate' }
  | { ref: R; id: string; outcome: 'rejected'; error: RejectReason };

export interface SinkStats {
  bulkRequests: number;
  created: number;
  duplicates: number;
  rejected: number;
  retries: number;
}

/** The item errors that are not the document's fault. */
function transientItem(status: number, type: string): boolean {
  return (
    status === 429 ||
    status >= 500 ||
    status === 401 ||
    status === 403 ||
    status === 408 ||
    type === 'cluster_block_exception' ||
    type === 'index_not_found_exception' ||
    type === 'unavailable_shards_exception'
  );
}

export function describeRequestError(e: unknown): string {
  if (e instanceof esErrors.ResponseError) return `HTTP ${e.statusCode ?? '?'} ${e.message}`.slice(0, 500);
  if (e instanceof esErrors.ElasticsearchClientError) return `${e.name}: ${e.message}`.slice(0, 500);
  return String(e).slice(0, 500);
}

export function createElasticsearchClient(opts: {
  node: string | string[];
  requestTimeoutMs: number;
  username?: string | undefined;
  password?: string | undefined;
  apiKey?: string | undefined;
  caFile?: string | undefined;
  caPem?: string | undefined;
}): Client {
  return new Client({
    node: opts.node,
    requestTimeout: opts.requestTimeoutMs,
    // our own retry loop decides; the client's would retry blindly and twice
    maxRetries: 0,
    ...(opts.apiKey ? { auth: { apiKey: opts.apiKey } } : {}),
    ...(opts.username ? { auth: { username: opts.username, password: opts.password ?? '' } } : {}),
    ...(opts.caPem ? { tls: { ca: opts.caPem } } : {}),
  });
}

export class ElasticsearchSink {
  readonly stats: SinkStats = { bulkRequests: 0, created: 0, duplicates: 0, rejected: 0, retries: 0 };
  private readonly retry: RetryOptions;

  constructor(
    private readonly client: Client,
    retry: Partial<RetryOptions> = {},
  ) {
    this.retry = { ...DEFAULT_RETRY, ...retry };
  }

  /** Writes all items; resolves once each has a final outcome. Throws only when the signal stopped it. */
  async write<R>(
    items: ReadonlyArray<BulkItem<R>>,
    signal?: AbortSignal,
    onRetry?: RetryOptions['onRetry'],
  ): Promise<Array<ItemResult<R>>> {
    const results = new Array<ItemResult<R> | undefined>(items.length);
    let pending = items.map((_, i) => i);
    const stop = signal ?? this.retry.signal;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) {
        if (stop?.aborted) throw abortedError(`${pending.length} documents not acknowledged`);
        const delay = backoffDelay(attempt - 1, this.retry);
        this.stats.retries++;
        await (onRetry ?? this.retry.onRetry)?.(attempt, delay, this.lastError);
        await sleep(delay, stop);
        if (stop?.aborted) throw abortedError(`${pending.length} documents not acknowledged`);
      }
      pending = await this.attempt(items, pending, results);
    }
    return results as Array<ItemResult<R>>;
  }

  private lastError = '';

  /** One `_bulk` over the pending items; returns the indexes still to retry. */
  private async attempt<R>(
    items: ReadonlyArray<BulkItem<R>>,
    pending: number[],
    results: Array<ItemResult<R> | undefined>,
  ): Promise<number[]> {
    const operations: unknown[] = [];
    for (const i of pending) {
      const it = items[i] as BulkItem<R>;
      operations.push({ create: { _index: it.index, _id: it.id } }, it.doc);
    }
    this.stats.bulkRequests++;
    let response;
    try {
      response = await this.client.bulk({ operations, refresh: false }, { meta: false });
    } catch (e) {
      // the whole request failed: nothing is known to be written, everything is retried
      // (a timed-out bulk may have been applied; the retry then answers 409 per document)
      this.lastError = describeRequestError(e);
      return pending;
    }
    const retry: number[] = [];
    response.items.forEach((entry, k) => {
      const i = pending[k] as number;
      const it = items[i] as BulkItem<R>;
      const r = entry.create ?? Object.values(entry)[0];
      const status = r?.status ?? 0;
      if (status === 200 || status === 201) {
        this.stats.created++;
        results[i] = { ref: it.ref, id: it.id, outcome: 'created' };
      } else if (status === 409) {
        this.stats.duplicates++;
        results[i] = { ref: it.ref, id: it.id, outcome: 'duplicate' };
      } else {
        const type = r?.error?.type ?? 'unknown';
        const reason = [r?.error?.reason, r?.error?.caused_by?.reason].filter(Boolean).join(': ');
        if (transientItem(status, type)) {
          this.lastError = `item ${status} ${type}: ${reason}`;
          retry.push(i);
        } else {
          this.stats.rejected++;
          results[i] = { ref: it.ref, id: it.id, outcome: 'rejected', error: { status, type, reason } };
        }
      }
    });
    if (response.items.length !== pending.length) {
      this.lastError = `bulk answered ${response.items.length} items for ${pending.length}`;
      return pending.filter((i) => results[i] === undefined);
    }
    return retry;
  }
}
