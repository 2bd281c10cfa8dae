// A proxy-mode collector in the test process, in front of the local dockerd,
// publishing to a MemoryAuditSink whose events the tests read; plus throwaway
// TLS certificates and a raw HTTP client that sends bytes exactly as written.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import pino from 'pino';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { DockerProxy, type ProxyHold } from '../../pipelines/adapters/docker-proxy';
import { ALLOW_ALL, type CallPolicy } from '../../pipelines/collectors/call-policy';
import type { AuditSink } from '../../pipelines/collectors/audit-sink';
import type { ProxyConfig, ProxyTlsConfig } from '../../pipelines/collectors/collector-config';
import { createEventBuilder } from '../../pipelines/collectors/event-builder';
import { MemoryAuditSink } from '../../pipelines/collectors/memory-audit-sink';
import { createRedactor } from '../../pipelines/collectors/normalize/redact';

export interface ProxyHarness {
  port: number;
  proxy: DockerProxy;
  /** Every event published so far, in publish order. */
  events: DockerApiEvent[];
  /** The proxy's hold of every forwarded call with a buffered body, in order. */
  holds: ProxyHold[];
  /** Resolves with the first event (published so far or later) that satisfies `pred`. */
  waitFor(pred: (e: DockerApiEvent) => boolean, what: string, timeoutMs?: number): Promise<DockerApiEvent>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  upstreamSocket: string;
  tls?: ProxyTlsConfig;
  policy?: CallPolicy;
  allowClients?: string[];
  maxCapturedBodyBytes?: number;
  /**
   * Replaces the memory sink (e.g. one that refuses events). The harness owns it,
   * as `dockguard collect` owns its sink: `close()` closes it after the proxy (a
   * Kafka sink left open keeps its producer's connection, and jest, alive).
   */
  sink?: AuditSink;
}

export async function startProxy(o: HarnessOptions): Promise<ProxyHarness> {
  const memory = new MemoryAuditSink(100_000);
  const events: DockerApiEvent[] = [];
  const holds: ProxyHold[] = [];
  const config: ProxyConfig = {
    listen: { host: '127.0.0.1', port: 0 },
    tls: o.tls ?? null,
    allowClients: o.allowClients ?? [],
    upstreamSocket: o.upstreamSocket,
    maxCapturedBodyBytes: o.maxCapturedBodyBytes ?? 16 * 1024 * 1024,
    shutdownGraceSeconds: 2,
  };
  const redactor = createRedactor(randomBytes(32));
  const base = o.sink ?? memory;
  // Tee: the events the tests inspect are the ones the proxy handed to the sink.
  const sink: AuditSink = {
    accepting: () => base.accepting(),
    publish: async (e) => {
      await base.publish(e);
      events.push(e);
    },
    close: () => base.close(),
  };
  const proxy = new DockerProxy({
    config,
    collectorId: 'test-proxy',
    hostName: 'test-host',
    policy: o.policy ?? ALLOW_ALL,
    sink,
    buildEvent: createEventBuilder({ redactor }),
    logger: pino({ level: process.env.DOCKGUARD_TEST_LOG ?? 'silent' }),
    onHold: (h) => holds.push(h),
  });
  const port = await proxy.listen();
  // Drain the memory sink so that it never blocks publishers.
  const consumer = (async () => {
    for await (const _ of memory) void _;
  })();
  return {
    port,
    proxy,
    events,
    holds,
    async waitFor(pred, what, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = events.find(pred);
        if (hit) return hit;
        if (Date.now() > end) {
          const seen = events.map((e) => `${e.http.request.method} ${e.url.original} ${e.http.response.status_code}`);
          throw new Error(`no event for ${what} within ${timeoutMs} ms; saw:\n${seen.join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await proxy.close(2000);
      await base.close();
      if (base !== memory) await memory.close();
      await consumer;
    },
  };
}

export interface TestCerts {
  dir: string;
  /** For the docker CLI: ca.pem, cert.pem, key.pem (client). */
  clientDir: string;
  server: ProxyTlsConfig;
  clientSubjectCN: string;
  /** SHA-256 of the client certificate's DER bytes, lowercase hex. */
  clientFingerprint: string;
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export function makeCerts(): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-tls-'));
  const clientDir = path.join(dir, 'client');
  fs.mkdirSync(clientDir);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...key,
    '-keyout',
    'ca-key.pem',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=dockguard test CA',
  );
  const issue = (name: string, subj: string, ext: string) => {
    ssl('req', ...key, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', subj);
    fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    );
  };
  issue('server', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  const cn = 'dockguard-test-client';
  issue('client', `/O=dockguard/CN=${cn}`, 'extendedKeyUsage=clientAuth\n');
  fs.copyFileSync(path.join(dir, 'ca.pem'), path.join(clientDir, 'ca.pem'));
  fs.copyFileSync(path.join(dir, 'client.pem'), path.join(clientDir, 'cert.pem'));
  fs.copyFileSync(path.join(dir, 'client-key.pem'), path.join(clientDir, 'key.pem'));
  const der = ssl('x509', '-in', 'client.pem', '-outform', 'DER');
  const fp = execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: der }).toString();
  return {
    dir,
    clientDir,
    server: {
      cert: path.join(dir, 'server.pem'),
      key: path.join(dir, 'server-key.pem'),
      ca: path.join(dir, 'ca.pem'),
      requireClientCert: true,
    },
    clientSubjectCN: cn,
    clientFingerprint: (/([0-9a-f]{64})\s*$/.exec(fp.trim())?.[1] ?? '').toLowerCase(),
  };
}

export interface RawResponse {
  status: number;
  /** The client port this request came from (the proxy records it as source.port). */
  localPort: number;
  headers: string;
  body: string;
}

/**
 * Sends `request` byte for byte (the proxy must see the spelling as written) and
 * reads until the server closes; the request should say `Connection: close`.
 */
export function rawHttp(port: number, request: string | Buffer, tlsDir?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = tlsDir
      ? tls.connect({
          host: '127.0.0.1',
          port,
          ca: fs.readFileSync(path.join(tlsDir, 'ca.pem')),
          cert: fs.readFileSync(path.join(tlsDir, 'cert.pem')),
          key: fs.readFileSync(path.join(tlsDir, 'key.pem')),
          servername: 'localhost',
        })
      : net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let localPort = 0;
    socket.setTimeout(30_000, () => socket.destroy(new Error('raw HTTP: no answer in 30 s')));
    socket.on(tlsDir ? 'secureConnect' : 'connect', () => {
      localPort = socket.localPort ?? 0;
      socket.write(request);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = (split < 0 ? all : all.subarray(0, split)).toString('latin1');
      let body: Buffer = split < 0 ? Buffer.alloc(0) : all.subarray(split + 4);
      if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) body = dechunk(body);
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
        localPort,
        headers: head,
        body: body.toString('utf8'),
      });
    });
  });
}

function dechunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', at);
    if (eol < 0) return Buffer.concat(out);
    const size = parseInt(b.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(out);
    out.push(b.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

/** A JSON request as raw HTTP/1.1 text with an exact Content-Length. */
export function jsonRequest(method: string, uri: string, body: string, extraHeaders = ''): string {
  const len = Buffer.byteLength(body);
  return (
    `${method} ${uri} HTTP/1.1\r\nHost: docker\r\nUser-Agent: dockguard-test/1\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${len}\r\n${extraHeaders}Connection: close\r\n\r\n${body}`
  );
}
