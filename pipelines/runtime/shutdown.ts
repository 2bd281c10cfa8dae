/**
 * SIGTERM/SIGINT coordinator. Services register async hooks with an order; on the
 * first signal (or `trigger`) the hooks run one after the other, lowest order
 * first, within one overall deadline, then the process exits:
 *
 *   exit 0   every hook finished in time
 *   exit 1   a hook failed, or the deadline passed (the remaining hooks are skipped:
 *            Kafka redelivers what was not committed, so stopping is safe, only slower)
 *   exit 130 a second signal while shutting down (an operator's Ctrl-C twice)
 *   `trigger(reason, code)` exits with `code` when the hooks succeed (a fatal error → 1)
 *
 * Suggested orders, so that hooks of different modules interleave correctly:
 *   10 stop intake (readiness → draining, stop accepting API calls, pause consumers)
 *   20 finish in-flight work (pending publishes, the current batch)
 *   30 flush and commit (producer flush, offset commit, spool fsync)
 *   40 close clients (Kafka, Elasticsearch, dockerd)
 *   90 close the ops server (last, so /healthz answers until the end)
 *
 * Kubernetes sends SIGTERM and kills after terminationGracePeriodSeconds (we set
 * 30 s): keep `deadlineMs` a few seconds below it (default 25 s), so that our
 * own deadline, which logs what was skipped, fires first.
 */
import type { Logger } from './logger';

export type ShutdownHook = () => Promise<unknown> | unknown;

/** What the coordinator needs of `process` (a fake in tests). */
export interface ProcessLike {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export interface ShutdownOptions {
  logger?: Logger;
  /** Overall time for all hooks. Default 25 000 ms. */
  deadlineMs?: number;
  /** For tests: where signals come from and how to exit (default: process). */
  process?: ProcessLike;
  signals?: NodeJS.Signals[];
}

export interface ShutdownResult {
  code: number;
  completed: string[];
  failed: string[];
  skipped: string[];
}

export class Shutdown {
  private readonly hooks: { name: string; order: number; seq: number; hook: ShutdownHook }[] = [];
  private running: Promise<ShutdownResult> | null = null;
  private readonly deadlineMs: number;
  private readonly proc: ProcessLike;
  private readonly signals: NodeJS.Signals[];
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.running) {
      this.options.logger?.warn({ signal }, 'second signal while shutting down: exiting now');
      this.proc.exit(130);
      return;
    }
    void this.trigger(`signal ${signal}`, 0);
  };

  constructor(private readonly options: ShutdownOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? 25_000;
    this.proc = options.process ?? process;
    this.signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  }

  /** Listens for the signals. Call once, after the hooks that must run first are known. */
  install(): this {
    for (const s of this.signals) this.proc.on(s, this.onSignal);
    return this;
  }

  uninstall(): void {
    for (const s of this.signals) this.proc.off(s, this.onSignal);
  }

  /** Registers a hook; equal orders run in registration order. */
  onShutdown(name: string, hook: ShutdownHook, order = 50): void {
    this.hooks.push({ name, order, seq: this.hooks.length, hook });
  }

  get shuttingDown(): boolean {
    return this.running !== null;
  }

  /**
   * Runs the hooks (once; later calls return the same result) and exits with the
   * code. `exitCode` is what to exit with when every hook succeeds.
   */
  trigger(reason: string, exitCode = 0): Promise<ShutdownResult> {
    if (this.running) return this.running;
    this.running = this.runHooks(reason, exitCode).then((result) => {
      this.uninstall();
      this.proc.exit(result.code);
      return result;
    });
    return this.running;
  }

  private async runHooks(reason: string, exitCode: number): Promise<ShutdownResult> {
    const log = this.options.logger;
    const ordered = [...this.hooks].sort((a, b) => a.order - b.order || a.seq - b.seq);
    const result: ShutdownResult = { code: exitCode, completed: [], failed: [], skipped: [] };
    const started = performance.now();
    log?.info({ reason, hooks: ordered.map((h) => h.name), deadlineMs: this.deadlineMs }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), this.deadlineMs);
    });
    try {
      for (let i = 0; i < ordered.length; i++) {
        const h = ordered[i]!;
        const outcome = await Promise.race([
          Promise.resolve()
            .then(h.hook)
            .then(
              () => 'ok' as const,
              (e: unknown) => {
                log?.error({ err: e, hook: h.name }, 'shutdown hook failed');
                return 'failed' as const;
              },
            ),
          deadline,
        ]);
        if (outcome === 'deadline') {
          result.skipped = ordered.slice(i).map((x) => x.name);
          result.code = 1;
          log?.error(
            { hook: h.name, skipped: result.skipped, deadlineMs: this.deadlineMs },
            'shutdown deadline passed: exiting without the remaining hooks',
          );
          break;
        }
        if (outcome === 'failed') {
          result.failed.push(h.name);
          result.code = 1;
        } else result.completed.push(h.name);
      }
    } finally {
      clearTimeout(timer);
    }
    log?.info(
      { code: result.code, ms: Math.round(performance.now() - started), failed: result.failed },
      'shutdown complete',
    );
    return result;
  }
}

/** The process-wide coordinator for a service: `createShutdown({ logger }).install()`. */
export function createShutdown(options: ShutdownOptions = {}): Shutdown {
  return new Shutdown(options);
}
