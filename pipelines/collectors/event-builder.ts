/**
 * What a collector captured of one API call → the Avro audit event (schema v2).
 *
 * Pure: no clock, no randomness (the id and time come with the call), no I/O. Never
 * throws on what the client sent: an unusual URI is normalised and its anomalies
 * recorded, a body that is not JSON (or nests too deep, or was only partly seen) is
 * kept out of the event and the reason noted in `dockguard.request.body_error`.
 *
 * Every parameter is read as dockerd reads it, so a spelling dockerd accepts cannot
 * show a detector something else: the path as mux routes it (request-uri.ts), body
 * keys as Go's encoding/json folds them (docker-json.ts), the first value of a
 * repeated query key, and form-encoded bodies ahead of the query string as Go's
 * ParseForm merges them. Secrets are replaced before anything is copied into the
 * event (body, query map and raw URI alike).
 */
import type {
  DockerApiEvent,
  ContainerParams,
  ExecParams,
  ImageParams,
  NetworkParams,
  Outcome,
  PluginParams,
  ServiceParams,
  VolumeParams,
} from '../../schemas/generated/docker-api-event';
import type { CapturedCall, CapturedResponse, HeaderMap } from './captured-call';
import { containerCreate, containerUpdate } from './normalize/container-params';
import {
  asString,
  field,
  hasAmbiguousKeys,
  parseDockerJson,
  stringifyJson,
  type JsonValue,
} from './normalize/docker-json';
import { redactEndpointSecrets } from './normalize/endpoint-secrets';
import { boundEventSize, DEFAULT_MAX_EVENT_CHARS } from './normalize/event-size';
import { execCreate } from './normalize/exec-params';
import { IMAGE_ENDPOINTS, imageParams } from './normalize/image-params';
import { networkCreate } from './normalize/network-params';
import { pluginParams } from './normalize/plugin-params';
import { firstValues, redactQueryParams, redactQueryValue, redactRawQuery } from './normalize/query-params';
import type { Redactor } from './normalize/redact';
import { normalizeRequest, type NormalizedRequest } from './normalize/request-uri';
import { serviceSpec } from './normalize/service-params';
import { volumeCreate } from './normalize/volume-params';

export interface BuildOptions {
  redactor: Redactor;
  /**
   * Longest body text kept in `dockguard.request.body` (characters). Larger bodies are
   * left out (the typed parameters are still read from them) so that one event stays
   * well below Kafka's default 1 MB record limit.
   */
  maxBodyChars?: number;
  /** Size budget of the whole event (JSON characters); see normalize/event-size.ts. */
  maxEventChars?: number;
}

export const DEFAULT_MAX_BODY_CHARS = 256 * 1024;

/** Endpoints whose request body is not JSON (tar archives, image tarballs): not parsed, not an error. */
const RAW_BODY_ENDPOINTS = new Set([
  '/build',
  '/images/load',
  '/images/create',
  '/containers/{id}/archive',
  '/plugins/create',
  '/session',
]);

const PLUGIN_ENDPOINTS = new Set(['/plugins/pull', '/plugins/{name}/upgrade', '/plugins/create']);
const SERVICE_ENDPOINTS = new Set(['/services/create', '/services/{id}/update']);
/** Go's ParseForm reads a form body only for these methods. */
const FORM_METHODS = new Set(['POST', 'PUT', 'PATCH']);
const MAX_ID_CHARS = 256;

/** `name` in lower case. Node's header maps are lower-case already; dockerd's (authz) are canonical (`User-Agent`). */
function header(h: HeaderMap, name: string): string | null {
  const direct = h[name];
  if (direct !== undefined) return firstString(direct);
  for (const [k, v] of Object.entries(h)) if (k.toLowerCase() === name) return firstString(v);
  return null;
}

function firstString(v: string | readonly string[] | undefined): string | null {
  const first = Array.isArray(v) ? (v as readonly string[])[0] : v;
  return typeof first === 'string' ? first : null;
}

/** Avro `int`: anything else (NaN, fractions, out of range) becomes null. */
function int32(n: number | null): number | null {
  return n !== null && Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff ? n : null;
}

/** avsc's range for an Avro `long` held in a JS number (a little inside Number.MAX_SAFE_INTEGER). */
const LONG_LIMIT = 9007199254740990;

/** Avro `long`: truncated and clamped; NaN becomes 0. */
function long(n: number): number {
  if (Number.isNaN(n)) return 0;
  return Math.max(-LONG_LIMIT, Math.min(LONG_LIMIT, Math.trunc(n)));
}

/** `ContainerCreate` → `container-create` (operation ids come from the API spec: a few hundred). */
const actions = new Map<string, string>();
function actionOf(operationId: string | null): string {
  if (operationId === null) return 'unknown';
  let a = actions.get(operationId);
  if (a === undefined) {
    a = operationId.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    actions.set(operationId, a);
  }
  return a;
}

function outcomeOf(call: CapturedCall): Outcome {
  const status = call.response?.statusCode ?? null;
  // denied at request time: dockerd never acted on it
  if (call.response === null && !call.decision.allowed) return 'failure';
  if (status === null) return 'unknown';
  return status >= 200 && status < 300 ? 'success' : 'failure';
}

/** The `Id` (or `ID`) a create call returned: container, exec, network, service, secret… */
function createdId(resp: CapturedResponse | null): string | null {
  if (!resp || resp.body === null || resp.body.length === 0 || resp.body.length > 64 * 1024) return null;
  if (resp.statusCode === null || resp.statusCode < 200 || resp.statusCode >= 300) return null;
  try {
    const id = asString(field(parseDockerJson(resp.body.toString('utf8')), 'Id'));
    return id !== null && id !== '' && id.length <= MAX_ID_CHARS ? id : null;
  } catch {
    return null;
  }
}

interface Body {
  /** the parsed body, secrets redacted; undefined when there is none */
  value: JsonValue | undefined;
  text: string | null;
  error: string | null;
  redacted: string[];
  ambiguous: boolean;
}

function readBody(call: CapturedCall, norm: NormalizedRequest, form: boolean, opts: BuildOptions): Body {
  const none: Body = { value: undefined, text: null, error: null, redacted: [], ambiguous: false };
  const raw = call.request.body;
  const req = call.request;
  if (raw === null || raw.length === 0) {
    if (req.bodyBytes > 0 && !req.bodyComplete)
      return { ...none, error: `not seen by the collector (${long(req.bodyBytes)} bytes)` };
    return none;
  }
  if (form || (norm.endpoint !== null && RAW_BODY_ENDPOINTS.has(norm.endpoint))) return none;
  if (!req.bodyComplete) return { ...none, error: `incomplete: saw ${raw.length} of ${long(req.bodyBytes)} bytes` };
  let parsed: JsonValue;
  try {
    // invalid UTF-8 becomes U+FFFD, as Go's decoder does inside strings
    parsed = parseDockerJson(raw.toString('utf8'));
  } catch (e) {
    return { ...none, error: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  const generic = opts.redactor.body(parsed);
  const specific = redactEndpointSecrets(norm.endpoint ?? '', generic.value, opts.redactor.hash);
  const text = stringifyJson(specific.value);
  const max = opts.maxBodyChars ?? DEFAULT_MAX_BODY_CHARS;
  return {
    value: specific.value,
    text: text.length <= max ? text : null,
    error: text.length <= max ? null : `too large for the event: ${text.length} characters (maxBodyChars ${max})`,
    redacted: [...generic.redacted, ...specific.redacted],
    ambiguous: hasAmbiguousKeys(parsed),
  };
}

/** Query parameters as Go's ParseForm sees them: a form-encoded body's values come first. */
function formParams(call: CapturedCall, norm: NormalizedRequest): Record<string, string[]> | null {
  const ct = header(call.request.headers, 'content-type');
  const body = call.request.body;
  if (!ct || !/^application\/x-www-form-urlencoded\b/i.test(ct.trim()) || !FORM_METHODS.has(norm.method)) return null;
  if (body === null || body.length === 0) return null;
  return normalizeRequest('POST', '/?' + body.toString('utf8')).params;
}

interface Typed {
  container: ContainerParams | null;
  exec: ExecParams | null;
  image: ImageParams | null;
  plugin: PluginParams | null;
  service: ServiceParams | null;
  volume: VolumeParams | null;
  network: NetworkParams | null;
  imageName: string | null;
  containerId: string | null;
  args: string[];
  commandLine: string | null;
}

function typedParams(
  norm: NormalizedRequest,
  query: Record<string, string>,
  all: Record<string, string[]>,
  body: JsonValue | undefined,
): Typed {
  const t: Typed = {
    container: null,
    exec: null,
    image: null,
    plugin: null,
    service: null,
    volume: null,
    network: null,
    imageName: null,
    containerId: null,
    args: [],
    commandLine: null,
  };
  const ep = norm.endpoint;
  if (ep === null || norm.method !== 'POST') return t;
  if (IMAGE_ENDPOINTS.has(ep)) {
    const i = imageParams(ep, query, all, norm.pathParams['name'] ?? null);
    return { ...t, image: i.params, imageName: i.imageName, containerId: i.containerId };
  }
  if (PLUGIN_ENDPOINTS.has(ep)) return { ...t, plugin: pluginParams(ep, query, norm.pathParams['name'] ?? null, body) };
  // the rest are read from the JSON body: without one there is nothing to report
  if (body === undefined) return t;
  switch (ep) {
    case '/containers/create': {
      const c = containerCreate(body);
      return { ...t, container: c.params, imageName: c.image, args: c.args, commandLine: c.commandLine };
    }
    case '/containers/{id}/update':
      return { ...t, container: containerUpdate(body) };
    case '/containers/{id}/exec': {
      const e = execCreate(body);
      return { ...t, exec: e.params, args: e.args, commandLine: e.commandLine };
    }
    case '/volumes/create':
      return { ...t, volume: volumeCreate(body) };
    case '/networks/create':
      return { ...t, network: networkCreate(body) };
  }
  if (SERVICE_ENDPOINTS.has(ep)) {
    const s = serviceSpec(body);
    return { ...t, service: s.params, imageName: s.params.image, args: s.args, commandLine: null };
  }
  return t;
}

/** What an event takes from the request alone: the same before and after the daemon answered. */
export interface RequestPart {
  norm: NormalizedRequest;
  anomalies: readonly string[];
  query: Record<string, string>;
  queryRedacted: readonly string[];
  body: ReturnType<typeof readBody>;
  typed: Typed;
  rawQuery: string | null;
  original: string;
  userinfoRedacted: boolean;
  userAgent: string | null;
}

export function requestPart(call: CapturedCall, opts: BuildOptions): RequestPart {
  const hash = opts.redactor.hash;
  const norm = normalizeRequest(call.request.method, call.request.uri);
  const anomalies = [...norm.anomalies];

  const form = formParams(call, norm);
  if (form) anomalies.push('form-encoded-body');
  const merged = Object.create(null) as Record<string, string[]>;
  for (const src of form ? [form, norm.params] : [norm.params])
    for (const [k, vs] of Object.entries(src)) merged[k] = [...(merged[k] ?? []), ...vs];
  const q = redactQueryParams(merged, hash);
  const query = firstValues(q.params);

  const body = readBody(call, norm, form !== null, opts);
  if (body.ambiguous) anomalies.push('ambiguous-body-key');
  const typed = typedParams(norm, query, q.params, body.value);
  const qAt = norm.original.indexOf('?');
  const rawQuery = norm.query === null ? null : redactRawQuery(norm.query, hash);
  const sent = qAt < 0 || rawQuery === null ? norm.original : norm.original.slice(0, qAt + 1) + rawQuery;
  // an absolute-form request line may carry credentials: `POST http://user:pass@docker/…`
  const userinfo = redactQueryValue('', sent, hash);
  return {
    norm,
    anomalies,
    query,
    queryRedacted: q.redacted,
    body,
    typed,
    rawQuery,
    original: userinfo ?? sent,
    userinfoRedacted: userinfo !== null,
    userAgent: header(call.request.headers, 'user-agent'),
  };
}

/**
 * An event builder that parses each request once: the proxy and the authz plugin
 * build an event for the deny policy before the call goes on, and the final one
 * (with the daemon's answer) after it. The request part is cached by the identity
 * of `call.request`, which the collectors replace rather than change.
 */
export function createEventBuilder(opts: BuildOptions): (call: CapturedCall) => DockerApiEvent {
  const parts = new WeakMap<CapturedCall['request'], RequestPart>();
  return (call) => {
    let part = parts.get(call.request);
    if (!part) {
      part = requestPart(call, opts);
      parts.set(call.request, part);
    }
    return buildAuditEvent(call, opts, part);
  };
}

export function buildAuditEvent(
  call: CapturedCall,
  opts: BuildOptions,
  part: RequestPart = requestPart(call, opts),
): DockerApiEvent {
  const { norm, query, body, typed, rawQuery, original, userAgent } = part;
  const anomalies = [...part.anomalies];
  const created = createdId(call.response);
  const ep = norm.endpoint;
  const pathId = norm.pathParams['id'] ?? norm.pathParams['name'] ?? null;
  const containerId =
    ep === '/containers/create'
      ? created
      : ep?.startsWith('/containers/{id}')
        ? (norm.pathParams['id'] ?? null)
        : typed.containerId;
  const c = call.client;
  // what a client controls and the event copies: the measurement is skipped when it is small
  const inputChars =
    call.request.uri.length +
    (call.request.body?.length ?? 0) +
    (userAgent?.length ?? 0) +
    (c.tlsSubject?.length ?? 0) +
    (c.tlsIssuer?.length ?? 0) +
    (c.user?.length ?? 0);

  const event: DockerApiEvent = {
    timestamp: long(call.receivedAt),
    event: { id: call.eventId, action: actionOf(norm.operationId), outcome: outcomeOf(call) },
    collector: { id: call.collectorId, mode: call.mode },
    host: { name: call.hostName },
    source: { ip: c.ip, port: int32(c.port) },
    tls:
      c.tlsSubject !== null || c.tlsIssuer !== null || c.tlsFingerprintSha256 !== null
        ? { client: { subject: c.tlsSubject, issuer: c.tlsIssuer, hash_sha256: c.tlsFingerprintSha256 } }
        : null,
    user: { name: c.user },
    user_agent: { original: userAgent },
    http: {
      request: { method: norm.method, body: { bytes: long(call.request.bodyBytes) } },
      response: { status_code: int32(call.response?.statusCode ?? null) },
    },
    url: { original, path: norm.path, query: rawQuery },
    container: {
      id: containerId,
      name: ep === '/containers/create' ? (query['name'] ?? null) : null,
      image: { name: typed.imageName },
    },
    process: { args: typed.args, command_line: typed.commandLine },
    dockguard: {
      endpoint: ep ?? norm.path,
      api_version: norm.apiVersion,
      anomalies,
      resource_id: created ?? pathId,
      request: {
        body: body.text,
        body_complete: call.request.bodyComplete,
        body_error: body.error,
        redacted: [...body.redacted, ...part.queryRedacted, ...(part.userinfoRedacted ? ['url.original'] : [])],
      },
      decision: { allowed: call.decision.allowed, rule: call.decision.rule, reason: call.decision.reason },
      container: typed.container,
      exec: typed.exec,
      image: typed.image,
      plugin: typed.plugin,
      service: typed.service,
      volume: typed.volume,
      network: typed.network,
      query,
    },
  };
  return boundEventSize(event, opts.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS, inputChars);
}
