/**
 * Normalises a Docker Engine API request (method + request-URI) so that every spelling of the
 * same request yields the same endpoint template and parameters: an attacker must not dodge a
 * rule on `/containers/{id}/exec` by writing `/v1.41//CONTAINERS/x/./%65xec`.
 *
 * Pure: the endpoint list is a committed JSON file (schemas/docker-api-endpoints.json, made by
 * generate-endpoints.ts) compiled into an index once at module load. Never throws on input;
 * whatever is unusual is reported in `anomalies`.
 *
 * What dockerd does, which this mirrors (moby api/server/server.go CreateMux + gorilla/mux):
 * - Every route is registered twice, as `/v{version:[0-9.]+}` + path and as the bare path.
 * - Go's net/http percent-decodes the whole path once into URL.Path, and mux matches on
 *   URL.Path (moby never calls UseEncodedPath). So `%2F` IS a path separator for dockerd:
 *   `/containers%2Fcreate` routes to `/containers/create`. We decode it to `/` likewise and
 *   still record "encoded-slash", because no honest client sends it.
 * - mux cleans the decoded path (path.Clean: `//`, `/./`, `/../`, never above root) and
 *   answers 301 to the clean path; a client that follows the redirect with the same method
 *   reaches the clean endpoint, so we classify the clean path and record the anomaly.
 * - Matching is case-sensitive and a trailing slash does not match (no StrictSlash): dockerd
 *   answers 404 to `/CONTAINERS/create` and `/containers/create/`. We still classify them as
 *   the endpoint (a detector should see the probe) and record "case-changed" /
 *   "trailing-slash", which says dockerd would not have served it as such.
 * - Parameters of container, exec, image, distribution, plugin, network and volume routes are
 *   `{name:.*}`: they may span slashes (`/images/library/alpine/json`). Swarm routes (nodes,
 *   services, tasks, secrets, configs) use plain `{id}`: one segment.
 * - Query: Go's url.ParseQuery splits on `&`, skips empty pairs, decodes `+` and `%XX`, keeps
 *   keys case-sensitive; dockerd's r.Form.Get reads the first value of a repeated key.
 */
import endpointsFile from '../../../schemas/docker-api-endpoints.json';

export interface NormalizedRequest {
  /** Upper-case method. */
  method: string;
  /** The raw URI exactly as given. */
  original: string;
  /** Canonical path without the `/vX.Y` prefix; fixed segments spelled as in the template. */
  path: string;
  /** API version from the `/vX.Y` prefix, or null when there is none. */
  apiVersion: string | null;
  /** Raw query string (after `?`), or null when there is no `?`. */
  query: string | null;
  /** Decoded query parameters, keys as given (dockerd reads them case-sensitively). */
  params: Record<string, string[]>;
  /** Endpoint template such as `/containers/{id}/start`, or null when nothing matches. */
  endpoint: string | null;
  operationId: string | null;
  pathParams: Record<string, string>;
  anomalies: string[];
}

type Segment = { fixed: string } | { param: string };

interface CompiledTemplate {
  method: string;
  template: string;
  operationId: string | null;
  segments: Segment[];
  /** Index of the one parameter that may span several segments, or -1. */
  multiIndex: number;
  fixedCount: number;
}

/** Route families whose dockerd parameters are `{name:.*}` (may contain `/`). */
const MULTI_SEGMENT_FAMILIES = new Set([
  'containers',
  'exec',
  'images',
  'distribution',
  'plugins',
  'networks',
  'volumes',
]);
/** Families where a `/` inside the parameter is legitimate (repository names, plugin refs). */
const SLASHED_NAME_FAMILIES = new Set(['images', 'distribution', 'plugins']);

function compile(e: { method: string; path: string; operationId: string | null }): CompiledTemplate {
  const segments: Segment[] = e.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^\{([^}]+)\}$/.exec(s);
      return m && m[1] !== undefined ? { param: m[1] } : { fixed: s };
    });
  const paramIdx = segments.flatMap((s, i) => ('param' in s ? [i] : []));
  const family = segments[0] && 'fixed' in segments[0] ? segments[0].fixed : '';
  const multiIndex = paramIdx.length === 1 && MULTI_SEGMENT_FAMILIES.has(family) ? (paramIdx[0] ?? -1) : -1;
  return {
    method: e.method.toUpperCase(),
    template: e.path,
    operationId: e.operationId,
    segments,
    multiIndex,
    fixedCount: segments.length - paramIdx.length,
  };
}

/**
 * Per method, most specific first: more fixed segments, then single-segment before spanning
 * parameters. dockerd uses registration order instead; for the swagger's templates no path
 * matches two templates of one method with equal specificity, so the outcome is the same.
 */
function buildIndex(list: ReadonlyArray<{ method: string; path: string; operationId: string | null }>) {
  const byMethod = new Map<string, CompiledTemplate[]>();
  for (const e of list) {
    const t = compile(e);
    const arr = byMethod.get(t.method) ?? [];
    arr.push(t);
    byMethod.set(t.method, arr);
  }
  for (const arr of byMethod.values()) {
    arr.sort(
      (a, b) =>
        b.fixedCount - a.fixedCount ||
        Number(a.multiIndex >= 0) - Number(b.multiIndex >= 0) ||
        (a.template < b.template ? -1 : 1),
    );
  }
  return byMethod;
}

const INDEX = buildIndex(endpointsFile.endpoints);

interface Match {
  t: CompiledTemplate;
  params: Record<string, string>;
  caseChanged: boolean;
}

function matchTemplate(t: CompiledTemplate, segs: string[]): Match | null {
  const n = t.segments.length;
  if (t.multiIndex < 0 ? segs.length !== n : segs.length < n) return null;
  const params: Record<string, string> = {};
  let caseChanged = false;
  const extra = segs.length - n;
  for (let i = 0; i < n; i++) {
    const s = t.segments[i] as Segment;
    // Segments after the spanning parameter are aligned from the end.
    const j = t.multiIndex >= 0 && i > t.multiIndex ? i + extra : i;
    if ('fixed' in s) {
      const got = segs[j] as string;
      if (got.toLowerCase() !== s.fixed.toLowerCase()) return null;
      if (got !== s.fixed) caseChanged = true;
    } else if (i === t.multiIndex) {
      params[s.param] = segs.slice(i, i + extra + 1).join('/');
    } else {
      params[s.param] = segs[j] as string;
    }
  }
  return { t, params, caseChanged };
}

interface Decoded {
  value: string;
  escapes: number;
  bad: boolean;
  encodedSlash: boolean;
  invalidUtf8: boolean;
}

const HEX = /^[0-9A-Fa-f]{2}$/;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

/**
 * One pass of percent-decoding, as Go does (a second pass would let `%252F` become `/`, which
 * dockerd never does). A malformed escape (`%zz`, a lone `%`) is kept literally: Go answers 400
 * to it, so the request never reached a handler, but the detector still sees what was sent.
 */
function percentDecode(s: string, plusIsSpace: boolean): Decoded {
  let out = '';
  let bytes: number[] = [];
  const r: Decoded = { value: '', escapes: 0, bad: false, encodedSlash: false, invalidUtf8: false };
  const flush = () => {
    if (bytes.length === 0) return;
    const u8 = Uint8Array.from(bytes);
    try {
      out += utf8Strict.decode(u8);
    } catch {
      r.invalidUtf8 = true;
      out += utf8Lenient.decode(u8);
    }
    bytes = [];
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (HEX.test(hex)) {
        const b = parseInt(hex, 16);
        if (b === 0x2f) r.encodedSlash = true;
        bytes.push(b);
        r.escapes++;
        i += 2;
        continue;
      }
      r.bad = true;
    }
    flush();
    out += plusIsSpace && c === '+' ? ' ' : c;
  }
  flush();
  r.value = out;
  return r;
}

/** Go's path.Clean plus mux's trailing-slash bookkeeping, on an already decoded path. */
function cleanPath(p: string, add: (a: string) => void): string[] {
  const parts = p.split('/');
  const segs: string[] = [];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '') {
      if (i === parts.length - 1) {
        if (parts.length > 2) add('trailing-slash');
      } else add('double-slash');
    } else if (part === '.') add('dot-segments');
    else if (part === '..') {
      add('dot-segments');
      // Never above root, as path.Clean: `/../../etc` is `/etc`.
      if (segs.pop() === undefined) add('traversal-above-root');
    } else segs.push(part);
  }
  return segs;
}

function parseQuery(q: string, add: (a: string) => void): Record<string, string[]> {
  // No prototype: a key such as `__proto__` or `constructor` must be data, not a lookup.
  const params = Object.create(null) as Record<string, string[]>;
  for (const pair of q.split('&')) {
    if (pair === '') {
      add('empty-query-pair');
      continue;
    }
    // Go >= 1.17 rejects `;` in queries (dockerd then answers 400); keep it as data.
    if (pair.includes(';')) add('semicolon-in-query');
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawVal = eq < 0 ? '' : pair.slice(eq + 1);
    const k = percentDecode(rawKey, true);
    const v = percentDecode(rawVal, true);
    if (k.bad || v.bad) add('bad-percent-encoding');
    if (k.invalidUtf8 || v.invalidUtf8) add('invalid-utf8');
    const existing = params[k.value];
    if (existing) {
      // dockerd reads the first value only; a second one may be aimed at a detector.
      add('duplicate-query-param');
      existing.push(v.value);
    } else params[k.value] = [v.value];
  }
  return params;
}

const VERSION_SEGMENT = /^[vV][0-9.]+$/;
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/;

export function normalizeRequest(method: string, rawUri: string): NormalizedRequest {
  const anomalies: string[] = [];
  const add = (a: string) => {
    if (!anomalies.includes(a)) anomalies.push(a);
  };
  const original = typeof rawUri === 'string' ? rawUri : '';
  const rawMethod = typeof method === 'string' ? method : '';
  const upper = rawMethod.toUpperCase();
  if (upper !== rawMethod) add('method-case-changed');

  let uri = original;
  if (uri === '') add('empty-uri');
  // Control characters make Go reject the request line; report them, keep going.
  if (/[\x00-\x1f\x7f]/.test(uri)) add('control-character');
  // Absolute-form (`POST http://docker/containers/create`): Go's server accepts it.
  const abs = ABSOLUTE_FORM.exec(uri);
  if (abs) {
    add('absolute-form');
    uri = uri.slice(abs[0].length);
  }

  const qAt = uri.indexOf('?');
  const rawPath = qAt < 0 ? uri : uri.slice(0, qAt);
  const query = qAt < 0 ? null : uri.slice(qAt + 1);

  if (!rawPath.startsWith('/')) add('no-leading-slash');
  const dec = percentDecode(rawPath, false);
  if (dec.escapes > 0) add('percent-encoded-path');
  if (dec.encodedSlash) add('encoded-slash');
  if (dec.bad) add('bad-percent-encoding');
  if (dec.invalidUtf8) add('invalid-utf8');
  if (/%25[0-9A-Fa-f]{2}/.test(rawPath)) add('double-encoding');

  // Clean the whole path before looking for the version, as mux does: `/v1.41/../info` is `/info`.
  const segs = cleanPath(dec.value.startsWith('/') ? dec.value : '/' + dec.value, add);

  let apiVersion: string | null = null;
  const first = segs[0];
  if (first !== undefined && VERSION_SEGMENT.test(first)) {
    apiVersion = first.slice(1);
    segs.shift();
    if (first[0] === 'V') add('case-changed');
    if (!/^\d+\.\d+$/.test(apiVersion)) add('unusual-api-version');
  }

  let match: Match | null = null;
  for (const t of INDEX.get(upper) ?? []) {
    match = matchTemplate(t, segs);
    if (match) break;
  }

  let path = '/' + segs.join('/');
  const pathParams: Record<string, string> = {};
  if (match) {
    if (match.caseChanged) add('case-changed');
    Object.assign(pathParams, match.params);
    path =
      '/' + match.t.segments.map((s) => ('fixed' in s ? s.fixed : ((match as Match).params[s.param] ?? ''))).join('/');
    const family = segs[0]?.toLowerCase() ?? '';
    if (Object.values(pathParams).some((v) => v.includes('/')) && !SLASHED_NAME_FAMILIES.has(family)) {
      add('slash-in-param');
    }
  } else {
    add('unknown-endpoint');
    const other = [...INDEX.entries()].some(([m, ts]) => m !== upper && ts.some((t) => matchTemplate(t, segs)));
    if (other) add('method-mismatch');
  }

  return {
    method: upper,
    original,
    path,
    apiVersion,
    query,
    params: query === null ? (Object.create(null) as Record<string, string[]>) : parseQuery(query, add),
    endpoint: match ? match.t.template : null,
    operationId: match ? match.t.operationId : null,
    pathParams,
    anomalies,
  };
}
