/**
 * A small Docker Engine API client for traffic generators: one call = one HTTP
 * request over a unix socket or TCP (optionally TLS), with keep-alive, a
 * chosen local address (so generated clients have distinct source IPs on
 * 127.0.0.0/8 through the proxy collector) and a chosen User-Agent.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface DockerTarget {
  /** dockerd's socket, or the authz-plugin dockerd's socket. */
  socketPath?: string;
  /** TCP endpoint, e.g. the proxy collector. */
  host?: string;
  port?: number;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; servername?: string };
}

export interface DockerCallResult {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

export interface DockerClientOptions {
  userAgent?: string;
  /** Source address for TCP targets, e.g. 127.0.0.23. */
  localAddress?: string;
  timeoutMs?: number;
}

export class DockerClient {
  private readonly agent: http.Agent;
  calls = 0;

  constructor(
    readonly target: DockerTarget,
    private readonly options: DockerClientOptions = {},
  ) {
    const agentOptions = { keepAlive: true, maxSockets: 8 };
    this.agent = target.tls ? new https.Agent({ ...agentOptions, ...target.tls }) : new http.Agent(agentOptions);
  }

  /** Sends one call; `body` is JSON-encoded unless it is a Buffer (sent as is, e.g. a tar stream). */
  call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<DockerCallResult> {
    const raw = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const h: Record<string, string | number> = {
      'User-Agent': this.options.userAgent ?? 'Docker-Client/20.10.24 (linux)',
    };
    if (raw) {
      h['Content-Type'] = Buffer.isBuffer(body) ? 'application/x-tar' : 'application/json';
      h['Content-Length'] = raw.length;
    }
    Object.assign(h, headers);
    const t = this.target;
    const mod = t.tls ? https : http;
    this.calls++;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        {
          agent: this.agent,
          method,
          path,
          headers: h,
          ...(t.socketPath
            ? { socketPath: t.socketPath }
            : { host: t.host ?? '127.0.0.1', port: t.port, localAddress: this.options.localAddress }),
          ...(t.tls?.servername ? { servername: t.tls.servername } : {}),
          timeout: this.options.timeoutMs ?? 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer in ${this.options.timeoutMs ?? 60_000} ms`)),
      );
      req.on('error', reject);
      req.end(raw);
    });
  }

  /** Parses a JSON answer, or returns null for an empty or non-JSON body. */
  static json<T>(r: DockerCallResult): T | null {
    try {
      return JSON.parse(r.body.toString('utf8')) as T;
    } catch {
      return null;
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A minimal tar archive (ustar) of the given files, for `POST /build` contexts. */
export function tarOf(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const header = Buffer.alloc(512);
    header.write(name, 0, 100);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write(Math.floor(0).toString(8).padStart(11, '0') + '\0', 136);
    header.write('        ', 148); // checksum placeholder
    header.write('0', 156);
    header.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
