/**
 * The operational HTTP surface of every service, on its own port (config section
 * `ops`, default 0.0.0.0:9464), separate from any data port so that a probe or a
 * scrape never competes with Docker API traffic:
 *
 *   GET /healthz  liveness: 200 while the event loop answers. Kubernetes restarts the
 *                 pod when it fails, so it must not depend on Kafka or Elasticsearch
 *                 (an outage there would restart every pod and fix nothing).
 *   GET /readyz   readiness: 200 when every registered check passes within
 *                 `checkTimeoutMs`, 503 otherwise or once the service is draining;
 *                 the body names each check and its error.
 *   GET /metrics  Prometheus text format from the service's own registry.
 *
 * It only reads: no endpoint changes the service's state. It carries no secrets,
 * but it does reveal rule ids and topic names: keep the port inside the cluster
 * (the NetworkPolicies in deploy/k8s allow it from the monitoring namespace only).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { defineSection } from '../config/config';
import type { Logger } from './logger';

export interface OpsConfig {
  host: string;
  port: number;
  checkTimeoutMs: number;
}

export const opsSection = defineSection<OpsConfig>('ops', {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', default: '0.0.0.0', description: 'address the ops server listens on' },
    port: {
      type: 'integer',
      minimum: 0,
      maximum: 65535,
      default: 9464,
      description: '/healthz, /readyz and /metrics; 0 picks a free port',
    },
    checkTimeoutMs: {
      type: 'integer',
      minimum: 1,
      default: 2000,
      description: 'a readiness check slower than this counts as failed',
    },
  },
});

/** Resolves (any value) when ready; rejects or throws with the reason when not. */
export type ReadinessCheck = () => Promise<unknown> | unknown;

export interface CheckResult {
  ok: boolean;
  error?: string;
  ms: number;
}

export interface OpsServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  readonly url: string;
  /** Adds (or replaces) a named readiness check, e.g. `kafka`, `elasticsearch`, `state-restored`. */
  addReadinessCheck(name: string, check: ReadinessCheck): void;
  /** From now on /readyz answers 503: called first on shutdown, so traffic moves away while we drain. */
  setDraining(): void;
  /** Runs the checks as /readyz does. */
  readiness(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }>;
  close(): Promise<void>;
}

export interface OpsServerOptions {
  config: OpsConfig;
  registry: Registry;
  logger?: Logger;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { config, registry, logger } = options;
  const checks = new Map<string, ReadinessCheck>();
  let draining = false;

  async function readiness(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const results: Record<string, CheckResult> = {};
    await Promise.all(
      [...checks].map(async ([name, check]) => {
        const started = performance.now();
        try {
          await withTimeout(Promise.resolve().then(check), config.checkTimeoutMs, name);
          results[name] = { ok: true, ms: Math.round(performance.now() - started) };
        } catch (e) {
          results[name] = {
            ok: false,
            error: (e as Error)?.message ?? String(e),
            ms: Math.round(performance.now() - started),
          };
        }
      }),
    );
    const ready = !draining && Object.values(results).every((r) => r.ok);
    return { ready, checks: results };
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, { error: 'only GET' }, { Allow: 'GET, HEAD' });
    switch (path) {
      case '/healthz':
        return send(res, 200, { status: 'ok' });
      case '/readyz':
        readiness().then(
          (r) => {
            if (!r.ready && logger) logger.debug({ checks: r.checks, draining }, 'not ready');
            send(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : draining ? 'draining' : 'not ready', ...r });
          },
          (e: unknown) => send(res, 500, { error: String(e) }),
        );
        return;
      case '/metrics':
        registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': registry.contentType });
            res.end(text);
          },
          (e: unknown) => send(res, 500, { error: String(e) }),
        );
        return;
      default:
        return send(res, 404, { error: 'not found', paths: ['/healthz', '/readyz', '/metrics'] });
    }
  });
  // A probe is one short request; don't let a slow client hold a socket.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  logger?.info({ host: config.host, port }, 'ops server listening');

  return {
    port,
    url: `http://${hostForUrl.includes(':') ? `[${hostForUrl}]` : hostForUrl}:${port}`,
    addReadinessCheck(name, check) {
      checks.set(name, check);
    },
    setDraining() {
      draining = true;
    },
    readiness,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`check ${name} did not answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
