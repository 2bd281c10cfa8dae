/**
 * What a collector saw of one Docker Engine API call, before normalisation.
 * Both collector modes fill this in; `buildAuditEvent` (event-builder.ts) turns
 * it into the Avro audit event. Nothing here is trusted: every string is as the
 * client (or dockerd, for the authz plugin) sent it.
 */
import type { CollectorMode } from '../../schemas/generated/docker-api-event';

export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface CapturedClient {
  /** Peer address; null in authz-plugin mode (dockerd never passes it). */
  ip: string | null;
  port: number | null;
  /** TLS client certificate, when the caller presented one. */
  tlsSubject: string | null;
  tlsIssuer: string | null;
  /** SHA-256 of the DER certificate, lowercase hex. */
  tlsFingerprintSha256: string | null;
  /** The user the authz plugin reports (TLS CN or an authn plugin's user). */
  user: string | null;
}

export interface CapturedRequest {
  method: string;
  /** The request URI exactly as received, e.g. `/v1.41/containers/create?name=c1`. */
  uri: string;
  headers: HeaderMap;
  /** The body bytes the collector saw (may be a prefix); null when none was seen. */
  body: Buffer | null;
  /** Declared or counted body size in bytes. */
  bodyBytes: number;
  /** False when the collector knows it did not see the whole body. */
  bodyComplete: boolean;
}

export interface CapturedResponse {
  statusCode: number | null;
  headers: HeaderMap;
  /** The response body when it is a small JSON document (created ids); null otherwise. */
  body: Buffer | null;
}

export interface CapturedDecision {
  allowed: boolean;
  /** The policy rule that denied (or the rule id of a Sigma rule marked for blocking). */
  rule: string | null;
  reason: string | null;
}

export interface CapturedCall {
  /** The audit event id the collector assigned (a random UUID). */
  eventId: string;
  /** When the collector received the request, epoch milliseconds. */
  receivedAt: number;
  collectorId: string;
  mode: CollectorMode;
  /** The Docker host (daemon) name. */
  hostName: string;
  client: CapturedClient;
  request: CapturedRequest;
  /** Null until the response phase (or when the call was denied before reaching dockerd). */
  response: CapturedResponse | null;
  decision: CapturedDecision;
}
