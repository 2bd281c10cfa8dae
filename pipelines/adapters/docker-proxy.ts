/**
 * The proxy-mode collector: a reverse proxy in front of dockerd's unix socket
 * that records every Docker Engine API call and can deny it before dockerd acts.
 *
 * Unlike the authorization plugin it sees the caller's address and port, the
 * TLS client certificate and request bodies of any size. What it must not do is
 * break a docker CLI workflow (FACTS.md, "Reverse proxy in front of the Docker
 * socket"): attach and exec hijack the connection (handled as upgrades, raw
 * sockets piped both ways), `/containers/{id}/wait` sends its headers long
 * before its body (flushHeaders), streams (logs -f, events, build output, pulls)
 * flow without buffering, and TLS sockets stay half-open.
 *
 * Request-time decision: a JSON body is read first (up to maxCapturedBodyBytes)
 * so that the policy judges the parameters dockerd will act on; archives (build
 * contexts, image tarballs) are streamed and judged by their URI and headers.
 * The event is published after the response (or the hijacked stream) ends.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import * as https from 'https';
import type * as net from 'net';
import type { Logger } from 'pino';
import { isDockguardError } from '../../detectors/errors';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { AuditSink } from '../collectors/audit-sink';
import type { CallPolicy } from '../collectors/call-policy';
import type { CapturedCall, CapturedDecision } from '../collectors/captured-call';
import type { ProxyConfig } from '../collectors/collector-config';
import { normalizeRequest } from '../collectors/normalize/request-uri';
import type { ServiceMetrics } from '../runtime/metrics';
import { clientFilter, isLoopback, plainAddress, type ClientFilter } from './docker-proxy-clients';
import {
  capturesResponse,
  errorBody,
  forwardHeaders,
  isStreamedBody,
  prefix,
  readUpTo,
  responseHeaders,
  ResponseCapture,
} from './docker-proxy-http';
import { clientCertificate, tlsServerOptions } from './docker-proxy-tls';
import { handleUpgrade } from './docker-proxy-upgrade';

export interface DockerProxyOptions {
  config: ProxyConfig;
  collectorId: string;
  hostName: string;
  policy: CallPolicy;
  sink: AuditSink;
  /** CapturedCall → audit event (event-builder.ts with the collector's redactor). */
  buildEvent: (call: CapturedCall) => DockerApiEvent;
  logger: Logger;
  /** Calls captured, events recorded, time to record, failures (runtime/metrics.ts). */
  metrics?: ServiceMetrics;
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** Called per forwarded call with a buffered body: how long the proxy held it (also metric stage proxy_hold). */
  onHold?: (hold: ProxyHold) => void;
}

/**
 * The latency the proxy adds to one call, measured inside it: from the request's
 * arrival to the end of the answer, minus the time the Docker daemon took (request
 * sent to answer received). Excludes the extra network hop to the proxy.
 */
export interface ProxyHold {
  method: string;
  path: string;
  holdMs: number;
  /** Of the hold: from the request's arrival until it was sent to dockerd (body read, event built, policy). */
  requestMs: number;
  /** Of the hold: from dockerd's last byte until the answer was handed to the client's socket. */
  responseMs: number;
  daemonMs: number;
}

export interface DockerProxyStats {
  calls: number;
  denied: number;
  policyErrors: number;
  publishFailures: number;
  upstreamErrors: number;
}

const ALLOWED: CapturedDecision = { allowed: true, rule: null, reason: null };

export class DockerProxy {
  readonly stats: DockerProxyStats = { calls: 0, denied: 0, policyErrors: 0, publishFailures: 0, upstreamErrors: 0 };
  private readonly server: http.Server;
  private readonly agent: http.Agent;
  private readonly allowed: ClientFilter;
  private readonly now: () => number;
  /** Calls not yet published (their promise settles after publish). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Hijacked connections: the HTTP server no longer tracks them. */
  private readonly upgraded = new Set<net.Socket>();
  private closing = false;

  constructor(private readonly opts: DockerProxyOptions) {
    const cfg = opts.config;
    this.now = opts.now ?? Date.now;
    this.allowed = clientFilter(cfg.allowClients);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 32 });
    const serverOpts: http.ServerOptions = {
      // Long uploads (docker load, build contexts) must not be cut off; slow headers still are.
      requestTimeout: 0,
      headersTimeout: 60_000,
      // dockerd never closes an idle keep-alive connection. With Node's default of 5 s a
      // client reusing a connection just as the proxy closes it gets "socket hang up" on a
      // POST it cannot safely retry; outlast the clients' own idle timeouts (Go: 90 s).
      keepAliveTimeout: 600_000,
      noDelay: true,
    };
    this.server = cfg.tls
      ? https.createServer({ ...serverOpts, ...tlsServerOptions(cfg.tls) })
      : http.createServer(serverOpts);
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.track(this.onRequest(req, res));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      this.upgraded.add(socket);
      socket.once('close', () => this.upgraded.delete(socket));
      this.track(
        handleUpgrade(
          { req, socket, head },
          {
            newCall: () => this.newCall(req),
            admit: (call) => this.admit(call),
            decide: (call) => this.decide(call),
            finish: (call) => this.finish(call),
            upstreamSocket: cfg.upstreamSocket,
            maxBodyBytes: cfg.maxCapturedBodyBytes,
            logger: opts.logger,
            onUpstreamError: () => this.stats.upstreamErrors++,
          },
        ),
      );
    });
    this.server.on('tlsClientError', (err: Error, socket: net.Socket) => {
      opts.logger.warn({ err: err.message, client: plainAddress(socket.remoteAddress) }, 'TLS handshake failed');
    });
    this.server.on('clientError', (err: Error, socket: net.Socket) => {
      opts.logger.debug({ err: err.message }, 'malformed HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    const { host, port } = this.opts.config.listen;
    const cfg = this.opts.config;
    if (!isLoopback(host) && !(cfg.tls && cfg.tls.requireClientCert)) {
      this.opts.logger.warn(
        { listen: `${host}:${port}`, allowClients: cfg.allowClients },
        'SECURITY: the Docker API proxy listens on a non-loopback address without TLS client authentication; ' +
          'anyone who reaches this port controls dockerd (root on the host). Set collector.proxy.tls with ' +
          'requireClientCert, or at least collector.proxy.allowClients.',
      );
    }
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address() as net.AddressInfo;
        this.opts.logger.info(
          { listen: `${host}:${addr.port}`, port: addr.port, tls: cfg.tls !== null, upstream: cfg.upstreamSocket },
          'Docker API proxy listening',
        );
        resolve(addr.port);
      });
    });
  }

  /**
   * Stops accepting connections, lets in-flight calls finish for up to
   * `graceMs`, then cuts what is left (streams such as `docker events` never end
   * by themselves) and waits until every recorded call was handed to the sink.
   */
  async close(graceMs = this.opts.config.shutdownGraceSeconds * 1000): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const drained = Promise.allSettled([...this.inFlight]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.opts.logger.warn({ open: this.inFlight.size }, 'shutdown grace period over; closing open streams');
      this.server.closeAllConnections();
      for (const s of this.upgraded) s.destroy();
    }
    await Promise.allSettled([...this.inFlight]);
    await closed;
    this.agent.destroy();
  }

  private track(p: Promise<void>): void {
    const tracked = p.catch((e: unknown) => {
      this.opts.logger.error({ err: e }, 'proxy call handler failed');
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private newCall(req: http.IncomingMessage): CapturedCall {
    this.stats.calls++;
    const cert = clientCertificate(req.socket);
    const declared = Number(req.headers['content-length'] ?? 0);
    return {
      eventId: randomUUID(),
      receivedAt: this.now(),
      collectorId: this.opts.collectorId,
      mode: 'proxy',
      hostName: this.opts.hostName,
      client: {
        ip: plainAddress(req.socket.remoteAddress),
        port: req.socket.remotePort ?? null,
        tlsSubject: cert?.subject ?? null,
        tlsIssuer: cert?.issuer ?? null,
        tlsFingerprintSha256: cert?.fingerprintSha256 ?? null,
        user: null,
      },
      request: {
        method: req.method ?? '',
        uri: req.url ?? '',
        headers: req.headers,
        body: null,
        bodyBytes: Number.isFinite(declared) ? declared : 0,
        bodyComplete: true,
      },
      response: null,
      decision: ALLOWED,
    };
  }

  /** Checks that do not need the body: client address, shutdown, a sink that refuses events. */
  private admit(call: CapturedCall): { status: number; decision: CapturedDecision } | null {
    if (!this.allowed(call.client.ip))
      return {
        status: 403,
        decision: {
          allowed: false,
          rule: 'allowClients',
          reason: `client ${call.client.ip ?? 'unknown'} is not in collector.proxy.allowClients`,
        },
      };
    if (this.closing)
      return { status: 503, decision: { allowed: false, rule: 'shutdown', reason: 'the collector is shutting down' } };
    if (!this.opts.sink.accepting())
      return {
        status: 503,
        decision: {
          allowed: false,
          rule: 'audit-sink',
          reason: 'calls are denied while the audit sink cannot record them (Kafka unreachable and spool full)',
        },
      };
    return null;
  }

  /** The policy's decision on the event built from the request; an exception denies. */
  private decide(call: CapturedCall): CapturedDecision {
    if (this.opts.policy.allowsEverything === true) return ALLOWED;
    try {
      const d = this.opts.policy.decide(this.opts.buildEvent({ ...call, decision: ALLOWED, response: null }));
      return d.allowed ? d : { allowed: false, rule: d.rule, reason: d.reason ?? 'denied by policy' };
    } catch (e) {
      this.stats.policyErrors++;
      this.opts.logger.error({ err: e, eventId: call.eventId }, 'policy failed; the call is denied');
      return { allowed: false, rule: 'policy-error', reason: 'the deny policy failed on this call' };
    }
  }

  /** Builds the final event and hands it to the sink; never throws. */
  private async finish(call: CapturedCall): Promise<void> {
    const metrics = this.opts.metrics;
    metrics?.eventsIn('docker-api');
    if (!call.decision.allowed) this.stats.denied++;
    let event: DockerApiEvent;
    try {
      event = this.opts.buildEvent(call);
    } catch (e) {
      this.stats.publishFailures++;
      metrics?.dropped('EVENT_INVALID');
      this.opts.logger.error({ err: e, eventId: call.eventId, uri: call.request.uri }, 'cannot build the audit event');
      return;
    }
    try {
      await this.opts.sink.publish(event);
      metrics?.eventsOut('audit');
      metrics?.observe('capture', Math.max(0, this.now() - call.receivedAt) / 1000);
    } catch (e) {
      this.stats.publishFailures++;
      // In production the sink is Kafka with its spool; its errors carry their own code.
      metrics?.dropped(isDockguardError(e) ? e.code : 'KAFKA_UNAVAILABLE');
      this.opts.logger.error({ err: e, eventId: call.eventId }, 'audit event not recorded: the sink failed');
    }
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const arrived = performance.now();
    const call = this.newCall(req);
    const refused = this.admit(call);
    if (refused) return this.deny(call, res, refused.status, refused.decision);

    const normalized = normalizeRequest(call.request.method, call.request.uri);
    let body: { chunks: Buffer[]; complete: boolean } | null = null;
    if (!isStreamedBody(normalized)) {
      const limit = this.opts.config.maxCapturedBodyBytes;
      try {
        const read = await readUpTo(req, limit);
        body = read;
        call.request = {
          ...call.request,
          body: read.bytes > 0 ? prefix(read.chunks, limit) : null,
          bodyBytes: read.complete ? read.bytes : Math.max(read.bytes, call.request.bodyBytes),
          bodyComplete: read.complete,
        };
      } catch (e) {
        call.request = { ...call.request, bodyComplete: false };
        call.decision = { allowed: false, rule: null, reason: `client aborted: ${(e as Error).message}` };
        return this.finish(call);
      }
    }
    call.decision = this.decide(call);
    if (!call.decision.allowed) return this.deny(call, res, 403, call.decision);
    return this.forward(req, res, call, body, arrived);
  }

  private deny(
    call: CapturedCall,
    res: http.ServerResponse,
    status: number,
    decision: CapturedDecision,
  ): Promise<void> {
    call.decision = decision;
    const body = errorBody(`dockguard: ${decision.reason ?? 'denied'}`);
    call.response = { statusCode: status, headers: {}, body: null };
    // The request body (if any) is not read: close the connection after the answer.
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, Connection: 'close' });
    res.end(body);
    return this.finish(call);
  }

  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    call: CapturedCall,
    body: { chunks: Buffer[]; complete: boolean } | null,
    arrived: number,
  ): Promise<void> {
    return new Promise<void>((resolve) => {
      let sentAt = 0;
      let answeredAt = 0;
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        resolve(this.finish(call));
      };
      const reframe = body !== null && body.complete;
      const headers = forwardHeaders(req.rawHeaders, { dropFraming: reframe });
      if (reframe) headers.push('Content-Length', String(body.chunks.reduce((n, c) => n + c.length, 0)));
      const upstream = http.request({
        socketPath: this.opts.config.upstreamSocket,
        agent: this.agent,
        method: req.method,
        path: req.url,
        headers,
        setHost: false,
      });
      let streamedBytes = 0;
      upstream.on('response', (ures) => {
        const capture = capturesResponse(ures.headers) ? new ResponseCapture() : null;
        call.response = { statusCode: ures.statusCode ?? null, headers: ures.headers, body: null };
        res.writeHead(
          ures.statusCode ?? 502,
          ures.statusMessage,
          responseHeaders(ures.rawHeaders, { dropLength: false }),
        );
        // dockerd sends the headers of /containers/{id}/wait at once and the body when the
        // container exits; the CLI starts the container only after it got the headers. Such
        // open-ended answers have no Content-Length; a sized one goes out with its first
        // bytes, and its last chunk ends the answer at once: headers, body and end leave in
        // one write when the body fits one chunk (a socket write costs more than the rest of
        // the proxy's work for a small answer).
        const length = Number(ures.headers['content-length'] ?? NaN);
        if (!Number.isSafeInteger(length) || length < 0) res.flushHeaders();
        let received = 0;
        const answered = (): void => {
          answeredAt = performance.now();
          if (call.response) call.response = { ...call.response, body: capture?.body() ?? null };
        };
        ures.on('data', (c: Buffer) => {
          capture?.add(c);
          received += c.length;
          if (received === length) {
            answered();
            res.end(c);
          } else if (!res.write(c)) ures.pause();
        });
        res.on('drain', () => ures.resume());
        ures.on('end', () => {
          // already ended by its last chunk
          if (res.writableEnded) return;
          answered();
          res.end();
        });
        ures.on('error', () => res.destroy());
      });
      upstream.on('error', (e) => {
        this.stats.upstreamErrors++;
        this.opts.logger.warn({ err: e.message, eventId: call.eventId }, 'Docker daemon call failed');
        if (!res.headersSent) {
          const b = errorBody(`dockguard: the Docker daemon did not answer: ${e.message}`);
          call.response = { statusCode: 502, headers: {}, body: null };
          res.writeHead(502, { 'Content-Type': 'application/json', 'Content-Length': b.length });
          res.end(b);
        } else res.destroy();
      });
      res.on('finish', () => {
        if (sentAt === 0 || answeredAt === 0) return;
        const finishedAt = performance.now();
        const daemonMs = answeredAt - sentAt;
        const holdMs = Math.max(0, finishedAt - arrived - daemonMs);
        this.opts.metrics?.observe('proxy_hold', holdMs / 1000);
        this.opts.onHold?.({
          method: call.request.method,
          path: req.url ?? '',
          holdMs,
          requestMs: sentAt - arrived,
          responseMs: finishedAt - answeredAt,
          daemonMs,
        });
      });
      // The client went away (or the answer is complete): either way the call is over.
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
        if (!body || !body.complete) {
          call.request = { ...call.request, bodyBytes: Math.max(call.request.bodyBytes, streamedBytes) };
        }
        done();
      });
      if (body) for (const c of body.chunks) upstream.write(c);
      if (body && body.complete) {
        upstream.end();
        sentAt = performance.now();
      } else {
        if (body) streamedBytes = body.chunks.reduce((n, c) => n + c.length, 0);
        req.on('data', (c: Buffer) => (streamedBytes += c.length));
        req.pipe(upstream);
      }
    });
  }
}
