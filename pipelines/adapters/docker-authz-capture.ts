/**
 * The Docker authorization plugin protocol's messages (moby pkg/authorization
 * api.go) and their translation into a CapturedCall. No I/O here: the plugin
 * server (docker-authz-plugin.ts) parses the JSON and hands it over.
 *
 * What dockerd passes, as observed (FACTS.md): the request line as the client
 * typed it, a flat header map, the body base64-encoded but only for
 * `application/json` bodies under 1 MiB (authz.go `sendBody`, `maxBodySize`), and for TLS clients the user and the peer
 * certificates. Never the client address.
 */
import { createHash, X509Certificate } from 'crypto';
import type { CapturedCall, CapturedDecision, CapturedResponse, HeaderMap } from '../collectors/captured-call';

/** dockerd forwards JSON bodies below this size only (moby pkg/authorization/authz.go maxBodySize). */
export const AUTHZ_MAX_BODY = 1_048_576;

export interface AuthzRequest {
  User?: string;
  UserAuthNMethod?: string;
  RequestMethod: string;
  RequestUri: string;
  /** base64 of the raw body bytes. */
  RequestBody?: string | null;
  RequestHeaders?: Record<string, string> | null;
  /** base64 DER, one per certificate of the client's chain (PeerCertificate.MarshalJSON). */
  RequestPeerCertificates?: string[] | null;
  ResponseBody?: string | null;
  ResponseHeaders?: Record<string, string> | null;
  ResponseStatusCode?: number;
}

export interface AuthzAnswer {
  Allow?: boolean;
  Msg?: string;
  Err?: string;
}

export class AuthzProtocolError extends Error {}

function optString(o: Record<string, unknown>, k: string): void {
  const v = o[k];
  if (v !== undefined && v !== null && typeof v !== 'string') throw new AuthzProtocolError(`${k} must be a string`);
}

function stringMap(o: Record<string, unknown>, k: string): void {
  const v = o[k];
  if (v === undefined || v === null) return;
  if (typeof v !== 'object' || Array.isArray(v)) throw new AuthzProtocolError(`${k} must be an object`);
  for (const x of Object.values(v as Record<string, unknown>))
    if (typeof x !== 'string') throw new AuthzProtocolError(`${k} values must be strings`);
}

/** Validates the shape of an AuthZReq/AuthZRes body; throws AuthzProtocolError naming the field. */
export function parseAuthzRequest(json: unknown): AuthzRequest {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new AuthzProtocolError('the body must be a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o['RequestMethod'] !== 'string' || !/^[A-Za-z]{1,16}$/.test(o['RequestMethod']))
    throw new AuthzProtocolError('RequestMethod must be an HTTP method');
  if (typeof o['RequestUri'] !== 'string' || !o['RequestUri'].startsWith('/'))
    throw new AuthzProtocolError('RequestUri must be a path');
  for (const k of ['User', 'UserAuthNMethod', 'RequestBody', 'ResponseBody']) optString(o, k);
  stringMap(o, 'RequestHeaders');
  stringMap(o, 'ResponseHeaders');
  const certs = o['RequestPeerCertificates'];
  if (certs !== undefined && certs !== null && (!Array.isArray(certs) || certs.some((c) => typeof c !== 'string')))
    throw new AuthzProtocolError('RequestPeerCertificates must be a list of base64 strings');
  const status = o['ResponseStatusCode'];
  if (status !== undefined && (typeof status !== 'number' || !Number.isInteger(status)))
    throw new AuthzProtocolError('ResponseStatusCode must be an integer');
  return o as unknown as AuthzRequest;
}

/** Go canonicalises header names; a lookup ignores case anyway. */
export function header(h: Readonly<Record<string, string>> | null | undefined, name: string): string | undefined {
  if (!h) return undefined;
  const exact = h[name];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const k of Object.keys(h)) if (k.toLowerCase() === lower) return h[k];
  return undefined;
}

function isJson(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/**
 * Whether dockerd withheld a JSON body from us. It peeks at most 1 MiB
 * (authz.go drainBody): a body of 1 MiB or more arrives without `RequestBody`,
 * and every body-based policy entry would be bypassed. A chunked body has no
 * Content-Length (Go also removes Transfer-Encoding from the header map), so a
 * JSON request with neither a body nor a declared length is one we did not see
 * (observed: a chunked create under 1 MiB does arrive with its body).
 */
export function bodyWithheld(req: AuthzRequest): { withheld: boolean; declared: number } {
  const h = req.RequestHeaders;
  const cl = header(h, 'Content-Length');
  const declared = cl !== undefined && /^\d+$/.test(cl.trim()) ? Number(cl.trim()) : -1;
  const hasBody = typeof req.RequestBody === 'string' && req.RequestBody.length > 0;
  if (hasBody || !isJson(header(h, 'Content-Type'))) return { withheld: false, declared };
  // /auth carries credentials and is never forwarded (authz.go sendBody); nothing to judge there
  if (/\/auth\/?(\?|$)/.test(req.RequestUri)) return { withheld: false, declared };
  if (declared >= AUTHZ_MAX_BODY) return { withheld: true, declared };
  // no declared length and no body: a chunked body of 1 MiB or more
  if (declared < 0 && req.RequestMethod.toUpperCase() !== 'GET' && header(h, 'Transfer-Encoding') !== 'identity')
    return { withheld: true, declared };
  return { withheld: false, declared };
}

interface PeerCert {
  subject: string;
  issuer: string;
  fingerprintSha256: string;
}

/** The first certificate is the client's own (Go's PeerCertificates order). */
export function peerCertificate(certs: readonly string[] | null | undefined): PeerCert | null {
  const first = certs?.[0];
  if (!first) return null;
  const der = Buffer.from(first, 'base64');
  let subject = '';
  let issuer = '';
  try {
    const x = new X509Certificate(der);
    subject = x.subject.split('\n').filter(Boolean).join(', ');
    issuer = x.issuer.split('\n').filter(Boolean).join(', ');
  } catch {
    // keep the fingerprint of what dockerd sent even if Node cannot parse it
  }
  return { subject, issuer, fingerprintSha256: createHash('sha256').update(der).digest('hex') };
}

const ALLOWED: CapturedDecision = { allowed: true, rule: null, reason: null };

export function captureRequest(
  req: AuthzRequest,
  ctx: { eventId: string; receivedAt: number; collectorId: string; hostName: string },
): CapturedCall {
  const body = req.RequestBody ? Buffer.from(req.RequestBody, 'base64') : null;
  const { withheld, declared } = bodyWithheld(req);
  const cert = peerCertificate(req.RequestPeerCertificates);
  const headers: HeaderMap = req.RequestHeaders ?? {};
  return {
    eventId: ctx.eventId,
    receivedAt: ctx.receivedAt,
    collectorId: ctx.collectorId,
    mode: 'authz',
    hostName: ctx.hostName,
    client: {
      ip: null,
      port: null,
      tlsSubject: cert?.subject || null,
      tlsIssuer: cert?.issuer || null,
      tlsFingerprintSha256: cert?.fingerprintSha256 ?? null,
      user: req.User ? req.User : null,
    },
    request: {
      method: req.RequestMethod,
      uri: req.RequestUri,
      headers,
      body,
      bodyBytes: body ? body.length : Math.max(declared, 0),
      bodyComplete: !withheld,
    },
    response: null,
    decision: ALLOWED,
  };
}

/** Small JSON answers carry the created object's id ({"Id": …}); larger bodies are not kept. */
export const MAX_KEPT_RESPONSE = 64 * 1024;

export function captureResponse(res: AuthzRequest): CapturedResponse {
  const headers = res.ResponseHeaders ?? {};
  let body: Buffer | null = null;
  if (res.ResponseBody && isJson(header(headers, 'Content-Type'))) {
    const b = Buffer.from(res.ResponseBody, 'base64');
    if (b.length <= MAX_KEPT_RESPONSE) body = b;
  }
  return { statusCode: res.ResponseStatusCode ?? null, headers, body };
}

/**
 * The protocol has no call id: a response is joined to its request by what both
 * messages repeat — user, method, URI, request headers and body. Hashed so the
 * pending map holds 32 bytes per key, not the body.
 */
export function joinKey(req: AuthzRequest): string {
  const h = createHash('sha256');
  h.update(req.User ?? '')
    .update('\0')
    .update(req.RequestMethod)
    .update('\0')
    .update(req.RequestUri)
    .update('\0');
  const headers = req.RequestHeaders ?? {};
  for (const k of Object.keys(headers).sort())
    h.update(k)
      .update('\0')
      .update(headers[k] ?? '')
      .update('\0');
  h.update('\0').update(req.RequestBody ?? '');
  return h.digest('base64');
}
