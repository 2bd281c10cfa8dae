/**
 * The authorization-plugin collector: a Docker authz plugin (HTTP on a unix
 * socket, moby pkg/authorization) that records every API call dockerd serves
 * and applies the deny policy before dockerd acts.
 *
 * - `POST /Plugin.Activate` → `{"Implements":["authz"]}`.
 * - `POST /AuthZPlugin.AuthZReq`: the request is captured, turned into an event,
 *   judged by the policy and answered `{"Allow":…,"Msg":…}`. A denied call never
 *   gets a response phase, so it is published at once; an allowed one waits in
 *   PendingCalls for its response.
 * - `POST /AuthZPlugin.AuthZRes`: joined to its request (docker-authz-pending.ts
 *   explains the FIFO join), status and created id recorded, event published;
 *   always allowed — the object exists already, a deny here would only hide it.
 *
 * dockerd waits for every answer (plugin down: every call hangs ~45 s), so the
 * request path does no I/O besides answering: publishing is asynchronous and a
 * malformed message gets `{"Err":…}` (dockerd then fails that call — closed),
 * never a crash.
 */
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import type { Logger } from 'pino';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { AuditSink } from '../collectors/audit-sink';
import type { CallPolicy } from '../collectors/call-policy';
import type { CapturedCall, CapturedDecision } from '../collectors/captured-call';
import { isDockguardError } from '../../detectors/errors';
import type { ServiceMetrics } from '../runtime/metrics';
import {
  AuthzProtocolError,
  captureRequest,
  captureResponse,
  joinKey,
  parseAuthzRequest,
  type AuthzAnswer,
} from './docker-authz-capture';
import { PendingCalls } from './docker-authz-pending';

export const PLUGIN_CONTENT_TYPE = 'application/vnd.docker.plugins.v1.2+json';

/** Base64 of a body just under 1 MiB plus headers and certificates fits easily. */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

export interface AuthzPluginOptions {
  socketPath: string;
  /** The name dockerd knows the plugin by (`--authorization-plugin=<name>`); for logs. */
  pluginName: string;
  collectorId: string;
  hostName: string;
  policy: CallPolicy;
  sink: AuditSink;
  /** CapturedCall → audit event (event-builder.ts with the collector's redactor). */
  buildEvent: (call: CapturedCall) => DockerApiEvent;
  logger: Logger;
  /** Allowed calls whose response does not come within this time are published without it. */
  pendingTimeoutMs: number;
  /** Bound on calls waiting for their response; beyond it the oldest is published early. */
  maxPending: number;
  /** Calls captured, events recorded, time to record, drops (runtime/metrics.ts), as the proxy reports them. */
  metrics?: ServiceMetrics;
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
}

export interface AuthzPluginStats {
  requests: number;
  responses: number;
  denied: number;
  /** Messages that were not valid plugin requests (answered with Err). */
  malformed: number;
  /** Handler failures (answered with Err: dockerd fails the call). */
  internalErrors: number;
  policyErrors: number;
  /** Responses with no waiting request (expired before, or never seen). */
  unmatchedResponses: number;
  /** Published without a response: timeout, overflow of the pending map, shutdown. */
  expired: number;
  published: number;
  publishFailures: number;
}

const ALLOWED: CapturedDecision = { allowed: true, rule: null, reason: null };

export class AuthzPlugin {
  readonly stats: AuthzPluginStats = {
    requests: 0,
    responses: 0,
    denied: 0,
    malformed: 0,
    internalErrors: 0,
    policyErrors: 0,
    unmatchedResponses: 0,
    expired: 0,
    published: 0,
    publishFailures: 0,
  };
  private readonly server: http.Server;
  private readonly pending: PendingCalls<CapturedCall>;
  private readonly now: () => number;
  private readonly inFlight = new Set<Promise<void>>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AuthzPluginOptions) {
    this.now = opts.now ?? Date.now;
    this.pending = new PendingCalls<CapturedCall>(opts.pendingTimeoutMs, opts.maxPending, (call, why) => {
      this.stats.expired++;
      opts.logger.debug({ eventId: call.eventId, uri: call.request.uri, why }, 'published without a response');
      this.publish(call);
    });
    this.server = http.createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => this.onHttp(req, res));
    this.server.on('clientError', (err: Error, socket) => {
      this.stats.malformed++;
      opts.logger.debug({ err: err.message }, 'malformed HTTP from the plugin socket');
      socket.destroy();
    });
  }

  /** Calls waiting for their response phase. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Listens on the unix socket (replacing a stale one), readable by root only. */
  async listen(): Promise<void> {
    const p = this.opts.socketPath;
    fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
    fs.rmSync(p, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(p, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // Only dockerd (root) may talk to us: anyone else could feed forged calls into the audit trail.
    fs.chmodSync(p, 0o600);
    const every = Math.max(50, Math.min(1000, Math.floor(this.opts.pendingTimeoutMs / 4)));
    this.sweeper = setInterval(() => this.pending.sweep(this.now()), every);
    this.sweeper.unref();
    this.opts.logger.info({ socket: p, plugin: this.opts.pluginName }, 'authorization plugin listening');
  }

  /**
   * Stops answering, publishes the calls still waiting for a response and waits
   * for the sink. Stop dockerd first: without its plugin it hangs every call.
   */
  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
    this.pending.drain();
    await Promise.allSettled([...this.inFlight]);
    fs.rmSync(this.opts.socketPath, { force: true });
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_MESSAGE_BYTES) tooBig = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooBig) return this.fail(res, 413, `plugin message larger than ${MAX_MESSAGE_BYTES} bytes`);
      let answer: unknown;
      try {
        answer = this.route(req.method ?? '', req.url ?? '', Buffer.concat(chunks));
      } catch (e) {
        if (e instanceof AuthzProtocolError) return this.fail(res, 400, e.message);
        this.stats.internalErrors++;
        this.opts.logger.error({ err: e }, 'authz plugin handler failed');
        return this.send(res, 500, { Err: 'internal error in the dockguard authorization plugin' });
      }
      if (answer === undefined) return this.fail(res, 404, `unknown plugin endpoint ${req.method} ${req.url}`);
      this.send(res, 200, answer);
    });
  }

  private route(method: string, url: string, body: Buffer): unknown {
    if (method !== 'POST') return undefined;
    switch (url) {
      case '/Plugin.Activate':
        return { Implements: ['authz'] };
      case '/AuthZPlugin.AuthZReq':
        return this.onRequest(parseAuthzRequest(parseJson(body)));
      case '/AuthZPlugin.AuthZRes':
        return this.onResponse(parseAuthzRequest(parseJson(body)));
      default:
        return undefined;
    }
  }

  private onRequest(msg: ReturnType<typeof parseAuthzRequest>): AuthzAnswer {
    this.stats.requests++;
    const call = captureRequest(msg, {
      eventId: randomUUID(),
      receivedAt: this.now(),
      collectorId: this.opts.collectorId,
      hostName: this.opts.hostName,
    });
    call.decision = this.decide(call);
    if (!call.decision.allowed) {
      this.stats.denied++;
      this.publish(call);
      return { Allow: false, Msg: call.decision.reason ?? 'denied by dockguard policy' };
    }
    this.pending.add(joinKey(msg), call, this.now());
    return { Allow: true };
  }

  private onResponse(msg: ReturnType<typeof parseAuthzRequest>): AuthzAnswer {
    this.stats.responses++;
    const call = this.pending.take(joinKey(msg));
    if (!call) {
      this.stats.unmatchedResponses++;
      this.opts.logger.debug({ uri: msg.RequestUri }, 'response without a waiting request (expired?)');
      return { Allow: true };
    }
    call.response = captureResponse(msg);
    this.publish(call);
    return { Allow: true };
  }

  private decide(call: CapturedCall): CapturedDecision {
    if (!this.opts.sink.accepting())
      return {
        allowed: false,
        rule: 'audit-sink',
        reason: 'calls are denied while the audit sink cannot record them (Kafka unreachable and spool full)',
      };
    if (this.opts.policy.allowsEverything === true) return ALLOWED;
    try {
      const d = this.opts.policy.decide(this.opts.buildEvent({ ...call, decision: ALLOWED, response: null }));
      if (d.allowed) return ALLOWED;
      if (d.rule === 'policy-error') this.stats.policyErrors++;
      return { allowed: false, rule: d.rule, reason: d.reason ?? 'denied by dockguard policy' };
    } catch (e) {
      // buildEvent or a policy that broke its never-throw contract: fail closed
      this.stats.policyErrors++;
      this.opts.logger.error({ err: e, eventId: call.eventId, uri: call.request.uri }, 'policy failed; call denied');
      return { allowed: false, rule: 'policy-error', reason: 'policy-error: the deny policy failed on this call' };
    }
  }

  /**
   * Builds the final event and hands it to the sink; never throws. Deferred with
   * setImmediate so that the answer dockerd waits for is written first.
   */
  private publish(call: CapturedCall): void {
    const task = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const metrics = this.opts.metrics;
      metrics?.eventsIn('docker-api');
      let event: DockerApiEvent;
      try {
        event = this.opts.buildEvent(call);
      } catch (e) {
        this.stats.publishFailures++;
        metrics?.dropped('EVENT_INVALID');
        this.opts.logger.error(
          { err: e, eventId: call.eventId, uri: call.request.uri },
          'cannot build the audit event',
        );
        return;
      }
      try {
        await this.opts.sink.publish(event);
        this.stats.published++;
        metrics?.eventsOut('audit');
        metrics?.observe('capture', Math.max(0, this.now() - call.receivedAt) / 1000);
      } catch (e) {
        this.stats.publishFailures++;
        metrics?.dropped(isDockguardError(e) ? e.code : 'KAFKA_UNAVAILABLE');
        this.opts.logger.error({ err: e, eventId: call.eventId }, 'audit event not recorded: the sink failed');
      }
    })();
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private fail(res: http.ServerResponse, status: number, message: string): void {
    this.stats.malformed++;
    this.opts.logger.warn({ status, err: message }, 'authz plugin request refused');
    this.send(res, status, { Err: message });
  }

  private send(res: http.ServerResponse, status: number, answer: unknown): void {
    const b = Buffer.from(JSON.stringify(answer));
    res.writeHead(status, { 'Content-Type': PLUGIN_CONTENT_TYPE, 'Content-Length': b.length });
    res.end(b);
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (e) {
    throw new AuthzProtocolError(`the body is not JSON: ${(e as Error).message}`);
  }
}
