/**
 * Upgrade requests of the Docker API proxy. The docker CLI asks for
 * `Connection: Upgrade` / `Upgrade: tcp` on attach and exec start (and BuildKit
 * on /session and /grpc); dockerd answers `101 UPGRADED` and the connection
 * becomes a raw bidirectional stream. Node hands these requests over as a bare
 * socket: the proxy reads the (small, JSON) body itself, lets the policy decide,
 * replays the request to dockerd and then pipes both sockets, keeping each
 * direction open until its own end (half-close: `docker run` without -i closes
 * its sending side at once and still reads the output).
 *
 * When dockerd does not upgrade (an unknown exec id, or a client that put
 * `Upgrade` on an ordinary call), its answer is relayed and the connection is
 * closed: bytes after it must never reach dockerd unseen as another request.
 */
import * as http from 'http';
import type * as net from 'net';
import type { Logger } from 'pino';
import type { CapturedCall, CapturedDecision } from '../collectors/captured-call';
import { capturesResponse, forwardHeaders, rawErrorResponse, ResponseCapture } from './docker-proxy-http';

export interface UpgradeRequest {
  req: http.IncomingMessage;
  socket: net.Socket;
  head: Buffer;
}

export interface UpgradeHooks {
  newCall(): CapturedCall;
  admit(call: CapturedCall): { status: number; decision: CapturedDecision } | null;
  decide(call: CapturedCall): CapturedDecision;
  finish(call: CapturedCall): Promise<void>;
  upstreamSocket: string;
  maxBodyBytes: number;
  logger: Logger;
  onUpstreamError(): void;
}

const KEEP_UPGRADE = new Set(['connection', 'upgrade']);
/** After dockerd closed its side, how long a client that keeps its side open is tolerated. */
const LINGER_MS = 10_000;

export async function handleUpgrade(r: UpgradeRequest, hooks: UpgradeHooks): Promise<void> {
  const { req, socket } = r;
  const call = hooks.newCall();
  socket.on('error', () => socket.destroy());
  const refuse = (status: number, decision: CapturedDecision): Promise<void> => {
    call.decision = decision;
    call.response = { statusCode: status, headers: {}, body: null };
    socket.end(rawErrorResponse(status, `dockguard: ${decision.reason ?? 'denied'}`));
    return hooks.finish(call);
  };
  const refused = hooks.admit(call);
  if (refused) return refuse(refused.status, refused.decision);

  // Node does not parse the body of an upgrade request; read Content-Length bytes
  // ourselves. A chunked body here is unheard of from docker clients: refuse it
  // rather than guess where the body ends and the stream begins.
  const declared = req.headers['content-length'];
  const length = declared === undefined ? 0 : Number(declared);
  if (req.headers['transfer-encoding'] !== undefined || !Number.isSafeInteger(length) || length < 0)
    return refuse(400, { allowed: false, rule: 'malformed-upgrade', reason: 'unsupported body framing on an upgrade' });
  if (length > hooks.maxBodyBytes)
    return refuse(400, { allowed: false, rule: 'body-limit', reason: 'upgrade request body over the size limit' });
  let body: Buffer;
  let rest: Buffer;
  try {
    [body, rest] = await readExactly(socket, r.head, length);
  } catch (e) {
    call.request = { ...call.request, bodyComplete: false };
    call.decision = { allowed: false, rule: null, reason: `client aborted: ${(e as Error).message}` };
    return hooks.finish(call);
  }
  call.request = { ...call.request, body: length > 0 ? body : null, bodyBytes: length, bodyComplete: true };
  call.decision = hooks.decide(call);
  if (!call.decision.allowed) return refuse(403, call.decision);

  return new Promise<void>((resolve) => {
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      resolve(hooks.finish(call));
    };
    const headers = forwardHeaders(req.rawHeaders, { dropFraming: true, keep: KEEP_UPGRADE });
    if (length > 0) headers.push('Content-Length', String(length));
    const upstream = http.request({
      socketPath: hooks.upstreamSocket,
      agent: false,
      method: req.method,
      path: req.url,
      headers,
      setHost: false,
    });
    upstream.on('upgrade', (ures: http.IncomingMessage, usock: net.Socket, uhead: Buffer) => {
      call.response = { statusCode: ures.statusCode ?? null, headers: ures.headers, body: null };
      socket.write(statusAndHeaders(ures, ures.rawHeaders));
      if (uhead.length > 0) socket.write(uhead);
      if (rest.length > 0) usock.write(rest);
      usock.on('error', () => usock.destroy());
      socket.pipe(usock);
      usock.pipe(socket);
      usock.on('close', () => {
        // dockerd is done (the container or exec ended): finish the client's side too.
        socket.end();
        setTimeout(() => socket.destroy(), LINGER_MS).unref();
      });
      socket.on('close', () => {
        usock.destroy();
        done();
      });
    });
    upstream.on('response', (ures: http.IncomingMessage) => {
      const capture = capturesResponse(ures.headers) ? new ResponseCapture() : null;
      call.response = { statusCode: ures.statusCode ?? null, headers: ures.headers, body: null };
      // Close-delimited: the proxy does not re-frame, and the connection ends with this answer.
      const raw: string[] = [];
      for (let i = 0; i + 1 < ures.rawHeaders.length; i += 2) {
        const lower = ures.rawHeaders[i]!.toLowerCase();
        if (['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(lower)) continue;
        raw.push(ures.rawHeaders[i]!, ures.rawHeaders[i + 1]!);
      }
      raw.push('Connection', 'close');
      socket.write(statusAndHeaders(ures, raw));
      ures.on('data', (c: Buffer) => {
        capture?.add(c);
        socket.write(c);
      });
      ures.on('end', () => {
        if (call.response) call.response = { ...call.response, body: capture?.body() ?? null };
        socket.end();
      });
      ures.on('error', () => socket.destroy());
      socket.on('close', done);
    });
    upstream.on('error', (e) => {
      hooks.onUpstreamError();
      hooks.logger.warn({ err: e.message, eventId: call.eventId }, 'Docker daemon upgrade call failed');
      if (call.response === null) {
        call.response = { statusCode: 502, headers: {}, body: null };
        socket.end(rawErrorResponse(502, `dockguard: the Docker daemon did not answer: ${e.message}`));
      } else socket.destroy();
      done();
    });
    socket.on('close', () => {
      if (call.response === null) upstream.destroy();
      done();
    });
    upstream.end(length > 0 ? body : undefined);
  });
}

function statusAndHeaders(res: http.IncomingMessage, raw: readonly string[]): string {
  let s = `HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}\r\n`;
  for (let i = 0; i + 1 < raw.length; i += 2) s += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return s + '\r\n';
}

/** The first `n` bytes after the headers (from `head`, then the socket) and what followed them. */
function readExactly(socket: net.Socket, head: Buffer, n: number): Promise<[Buffer, Buffer]> {
  if (head.length >= n) return Promise.resolve([head.subarray(0, n), head.subarray(n)]);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [head];
    let have = head.length;
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      have += c.length;
      if (have < n) return;
      socket.pause();
      cleanup();
      const all = Buffer.concat(chunks);
      resolve([all.subarray(0, n), all.subarray(n)]);
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`connection ended after ${have} of ${n} body bytes`));
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
  });
}
