/**
 * Query parameters of a Docker Engine API call: the values dockerd acts on, with
 * secrets replaced. Build args travel in the query string of `POST /build`
 * (`buildargs={"NPM_TOKEN":"…"}`), and a remote build context or plugin may be a
 * URL with credentials (`https://user:token@git.example/repo.git`); neither may
 * reach Kafka, neither in the parameter map nor in the raw URI of the event.
 */
import { isObject, parseDockerJson } from './docker-json';

type Hash = (value: string) => string;

/**
 * The value dockerd reads for each key: `r.Form.Get` returns the FIRST value of a
 * repeated key, so `?fromImage=evil&fromImage=benign` pulls `evil`. A detector that
 * read the last one would be shown the decoy (the duplicate is an anomaly as well).
 */
export function firstValues(params: Readonly<Record<string, readonly string[]>>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, vs] of Object.entries(params)) if (vs[0] !== undefined) out[k] = vs[0];
  return out;
}

/** Keys named like a credential, in any case and with any separators. */
const SECRET_KEY = /passw(or)?d|passphrase|^pass$|secret|token|credential|^auth(config|orization)?$|api_?key/i;
/** `scheme://user:password@` */
const URL_USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*?):([^/?#@]*)@/i;

/**
 * The redacted form of one query value, or null when it holds no secret. Build args
 * keep their names (rules look for names such as AWS_SECRET_ACCESS_KEY) and hash
 * their values; a value that does not parse is hashed whole.
 */
export function redactQueryValue(key: string, value: string, hash: Hash): string | null {
  const k = key.toLowerCase();
  if (k === 'buildargs') {
    if (value === '' || value === '{}' || value === 'null') return null;
    try {
      const v = parseDockerJson(value);
      if (isObject(v)) {
        const out: Record<string, string | null> = Object.create(null) as Record<string, string | null>;
        for (const [name, x] of v.pairs) out[name] = typeof x === 'string' ? hash(x) : x === null ? null : hash('');
        return JSON.stringify(out);
      }
    } catch {
      // not JSON: hash the whole value below
    }
    return hash(value);
  }
  if (SECRET_KEY.test(k)) return value === '' ? null : hash(value);
  const m = URL_USERINFO.exec(value);
  if (m) return `${m[1]}${m[2]}:${hash(m[3] ?? '')}@${value.slice(m[0].length)}`;
  return null;
}

/** Names of the build args in a `buildargs` query value (the values stay out). */
export function buildArgNames(value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  try {
    const v = parseDockerJson(value);
    return isObject(v) ? [...new Set(v.pairs.map(([k]) => k))] : [];
  } catch {
    return [];
  }
}

/** Redacts decoded parameters (each value of each key); `redacted` lists `query.<key>`. */
export function redactQueryParams(
  params: Readonly<Record<string, readonly string[]>>,
  hash: Hash,
): { params: Record<string, string[]>; redacted: string[] } {
  const out = Object.create(null) as Record<string, string[]>;
  const redacted: string[] = [];
  for (const [k, vs] of Object.entries(params)) {
    let changed = false;
    out[k] = vs.map((v) => {
      const r = redactQueryValue(k, v, hash);
      if (r === null) return v;
      changed = true;
      return r;
    });
    if (changed) redacted.push(`query.${k}`);
  }
  return { params: out, redacted };
}

/** Percent-decoding as a form does (`+` is a space); a malformed escape stays as written. */
function formDecode(s: string): string {
  const plus = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/**
 * The raw query string with secret values replaced and everything else byte for byte
 * as sent, so `url.original` still shows the client's spelling.
 */
export function redactRawQuery(raw: string, hash: Hash): string {
  return raw
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      const rawKey = pair.slice(0, eq);
      const r = redactQueryValue(formDecode(rawKey), formDecode(pair.slice(eq + 1)), hash);
      return r === null ? pair : `${rawKey}=${encodeURIComponent(r)}`;
    })
    .join('&');
}
