/**
 * Findings of `dockguard run` into Elasticsearch (logs-dockguard.findings-<ns>),
 * as the indexer writes them: ECS documents, `_bulk` create with the finding id
 * (a replay never duplicates). Detection must not wait for Elasticsearch: findings
 * are queued (bounded; the oldest are dropped and counted when it is down for
 * long) and sent in the background; the console and the JSON Lines file still
 * get every finding. Failures are logged, never fatal.
 */
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import type { Finding } from '../../schemas/generated/finding';
import { setupElasticsearch, targetName } from '../adapters/elasticsearch-setup';
import { ElasticsearchSink, type BulkItem } from '../adapters/elasticsearch-sink';
import type { ElasticsearchConfig } from '../indexer/indexer-config';
import { elasticsearchClientFor } from '../indexer/indexer-main';
import { findingToEcs } from '../indexer/to-ecs';
import type { FindingsOutput } from './findings-output';

const BATCH = 500;
const MAX_QUEUED = 20_000;
const FLUSH_EVERY_MS = 1_000;
/** On close, how long queued findings may still wait for Elasticsearch. */
const CLOSE_TIMEOUT_MS = 10_000;

export class ElasticsearchOutput implements FindingsOutput {
  readonly name = 'elasticsearch';
  readonly stats = { sent: 0, rejected: 0, dropped: 0 };
  private readonly queue: Finding[] = [];
  private readonly sink: ElasticsearchSink;
  private readonly index: string;
  private readonly stop = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private sending: Promise<void> | null = null;
  private lastWarn = 0;

  constructor(
    private readonly client: Client,
    private readonly es: ElasticsearchConfig,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {
    this.index = targetName('findings', namespace);
    this.sink = new ElasticsearchSink(client, { baseMs: 200, maxMs: 10_000, signal: this.stop.signal });
    this.timer = setInterval(() => this.kick(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  static create(es: ElasticsearchConfig, namespace: string, log: Logger): ElasticsearchOutput {
    return new ElasticsearchOutput(elasticsearchClientFor(es), es, namespace, log.child({ output: 'elasticsearch' }));
  }

  /** Installs templates and the write target (as `dockguard setup elasticsearch`); a failure is logged only. */
  async setup(): Promise<void> {
    try {
      const report = await setupElasticsearch(this.client, {
        namespace: this.namespace,
        replicas: this.es.replicas,
        retentionDays: this.es.retentionDays,
      });
      this.log.info({ mode: report.mode, index: this.index }, 'elasticsearch ready for findings');
    } catch (err) {
      this.log.warn({ err }, 'elasticsearch setup failed: findings are queued and retried');
    }
  }

  write(f: Finding): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift();
      this.stats.dropped++;
      this.warn('elasticsearch queue full: the oldest finding was dropped (it is still in the console and file)');
    }
    this.queue.push(f);
    if (this.queue.length >= BATCH) this.kick();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const deadline = setTimeout(() => this.stop.abort(), CLOSE_TIMEOUT_MS);
    try {
      while (this.queue.length > 0 && !this.stop.signal.aborted) {
        this.kick();
        await this.sending;
      }
      await this.sending;
    } finally {
      clearTimeout(deadline);
      if (this.queue.length > 0) this.log.warn({ unsent: this.queue.length }, 'elasticsearch: findings left unsent');
      await this.client.close().catch(() => undefined);
    }
  }

  private kick(): void {
    if (this.sending || this.queue.length === 0) return;
    this.sending = this.send().finally(() => {
      this.sending = null;
    });
  }

  private async send(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, BATCH);
      const items: BulkItem<null>[] = batch.map((f) => {
        const ecs = findingToEcs(f);
        return { index: this.index, id: ecs.id, doc: ecs.doc as Record<string, unknown>, ref: null };
      });
      try {
        const results = await this.sink.write(items, this.stop.signal, (attempt, delay, reason) =>
          this.warn(`elasticsearch unavailable, retrying (attempt ${attempt}, ${delay} ms): ${reason}`),
        );
        for (const r of results) {
          if (r.outcome === 'rejected') {
            this.stats.rejected++;
            this.log.error({ id: r.id, reason: r.error }, 'elasticsearch refused a finding');
          } else this.stats.sent++;
        }
        this.queue.splice(0, batch.length);
      } catch (err) {
        this.log.warn({ err }, 'elasticsearch: sending stopped');
        return;
      }
    }
  }

  /** At most one warning per 30 s: an outage must not flood the console. */
  private warn(msg: string): void {
    const now = Date.now();
    if (now - this.lastWarn < 30_000) return;
    this.lastWarn = now;
    this.log.warn(msg);
  }
}
