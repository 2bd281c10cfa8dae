/**
 * HTTP plumbing of the Docker API proxy: which headers are forwarded, which
 * bodies are read before the policy decides and which are streamed, and the
 * bounded readers that never hold more than their limit.
 */
import type { Readable } from 'stream';
import type { NormalizedRequest } from '../collectors/normalize/request-uri';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and `Expect`, which the proxy answers itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/**
 * Bodies that are archives (build contexts, image and plugin tarballs, files
 * copied into a container): streamed to dockerd, never buffered. The endpoint,
 * not the Content-Type, decides: dockerd parses a body without a Content-Type
 * as JSON, so a client must not be able to skip the policy's look at a JSON body
 * by labelling it as a tarball.
 */
const STREAMED = new Set([
  'POST /build',
  'POST /images/load',
  'POST /images/create',
  'PUT /containers/{id}/archive',
  'POST /plugins/create',
]);

export function isStreamedBody(n: NormalizedRequest): boolean {
  return n.endpoint !== null && STREAMED.has(`${n.method} ${n.endpoint}`);
}

/**
 * The client's raw headers without hop-by-hop ones (and without the framing
 * headers when the proxy re-frames the body), in the client's order and case.
 * `keep` names hop-by-hop headers to pass on (Connection/Upgrade for upgrades).
 */
export function forwardHeaders(
  raw: readonly string[],
  opts: { dropFraming: boolean; keep?: ReadonlySet<string> },
): string[] {
  const out: string[] = [];
  let hasHost = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'host') hasHost = true;
    if (HOP_BY_HOP.has(lower) && !opts.keep?.has(lower)) continue;
    if (opts.dropFraming && (lower === 'content-length' || lower === 'transfer-encoding')) continue;
    out.push(name, raw[i + 1]!);
  }
  // Go's server refuses an HTTP/1.1 request without Host.
  if (!hasHost) out.push('Host', 'docker');
  return out;
}

/** dockerd's response headers for the client: framing and connection management are the proxy's. */
export function responseHeaders(raw: readonly string[], opts: { dropLength: boolean }): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (opts.dropLength && lower === 'content-length') continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

export interface BufferedBody {
  /** Every chunk read so far, to forward in order. */
  chunks: Buffer[];
  /** Bytes read (may exceed the limit by less than one chunk). */
  bytes: number;
  /** True when the stream ended within the limit. */
  complete: boolean;
}

/**
 * Reads a request body until it ends or more than `limit` bytes arrived; then
 * the stream is paused, and the caller forwards `chunks` and pipes the rest.
 * Holds at most limit + one chunk.
 */
export function readUpTo(stream: Readable, limit: number): Promise<BufferedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      bytes += c.length;
      if (bytes > limit) {
        stream.pause();
        cleanup();
        resolve({ chunks, bytes, complete: false });
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve({ chunks, bytes, complete: true });
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('client closed the connection while sending the body'));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

/** The first `limit` bytes of chunks, as one buffer. */
export function prefix(chunks: readonly Buffer[], limit: number): Buffer {
  const all = Buffer.concat(chunks as Buffer[]);
  return all.length > limit ? all.subarray(0, limit) : all;
}

export const MAX_CAPTURED_RESPONSE_BYTES = 64 * 1024;

/** Small JSON responses are kept for the event (created container and exec ids). */
export function capturesResponse(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  const ct = headers['content-type'];
  if (typeof ct !== 'string' || !/^application\/json\b/i.test(ct.trim())) return false;
  const len = headers['content-length'];
  return typeof len !== 'string' || Number(len) < MAX_CAPTURED_RESPONSE_BYTES;
}

/** Collects up to MAX_CAPTURED_RESPONSE_BYTES of a response as it flows past; null when it was larger. */
export class ResponseCapture {
  private chunks: Buffer[] | null = [];
  private bytes = 0;

  add(c: Buffer): void {
    if (this.chunks === null) return;
    this.bytes += c.length;
    if (this.bytes >= MAX_CAPTURED_RESPONSE_BYTES) this.chunks = null;
    else this.chunks.push(c);
  }

  body(): Buffer | null {
    return this.chunks === null ? null : Buffer.concat(this.chunks);
  }
}

/** The body dockerd's own errors have, which the docker CLI prints. */
export function errorBody(message: string): Buffer {
  return Buffer.from(JSON.stringify({ message }));
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** A complete HTTP/1.1 error response for a raw socket (upgrade requests), closing the connection. */
export function rawErrorResponse(status: number, message: string): Buffer {
  const body = errorBody(message);
  return Buffer.concat([
    Buffer.from(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    ),
    body,
  ]);
}
