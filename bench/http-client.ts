/**
 * The latency benchmarks' HTTP client: one keep-alive connection to a Docker API
 * endpoint (dockerd's unix socket, or a collector on a TCP port), JSON bodies,
 * the answer read whole. And the quantile they report.
 */
import * as http from 'http';

export type ApiRequest = (method: string, path: string, body?: string) => Promise<{ status: number; body: string }>;

export function keepAliveRequest(to: { socketPath?: string; port?: number }): ApiRequest {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, noDelay: true } as http.AgentOptions);
  return (method, path, body) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          ...(to.socketPath ? { socketPath: to.socketPath } : { host: '127.0.0.1', port: to.port }),
          agent,
          method,
          path,
          headers: body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } : {},
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

/** The q-quantile (nearest rank) of ascending samples; NaN when there are none. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
