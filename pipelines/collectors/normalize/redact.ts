/**
 * Secrets never reach Kafka. Registry credentials (the X-Registry-Auth header,
 * `/auth` bodies, AuthConfig), environment variable values, build-arg values and
 * anything keyed like a password are replaced before an event is built. Where a
 * rule may need to know that two values are equal (the same leaked token used
 * twice) the value becomes a keyed hash: equal values give equal hashes, and the
 * key stays with the collector.
 */
import { createHmac } from 'crypto';
import { goFold, isObject, type JsonObject, type JsonValue } from './docker-json';

export const REDACTED = '[redacted]';

const SECRET_HEADERS = new Set([
  'x-registry-auth',
  'x-registry-config',
  'authorization',
  'proxy-authorization',
  'cookie',
]);
/** struct fields whose whole value is a credential */
const SECRET_FIELDS = new Set([
  'authconfig',
  'password',
  'identitytoken',
  'registrytoken',
  'auth',
  'secret',
  'token',
  // swarm: a join token admits a node (a manager token, the whole cluster); the unlock key decrypts the raft log
  'jointoken',
  'unlockkey',
]);

export interface Redactor {
  headers(h: Record<string, string | string[] | undefined>): Record<string, string | string[]>;
  body(v: JsonValue): { value: JsonValue; redacted: string[] };
  /** HMAC-SHA256 of a value under the collector's key, for equality without disclosure */
  hash(value: string): string;
}

export function createRedactor(key: Buffer): Redactor {
  if (key.length < 16) throw new Error('redaction key must have at least 16 bytes');
  const hash = (value: string): string =>
    'hmac-sha256:' + createHmac('sha256', key).update(value).digest('hex').slice(0, 32);

  const envList = (v: JsonValue, at: string, redacted: string[]): JsonValue => {
    if (!Array.isArray(v)) return v;
    return v.map((e, i) => {
      if (typeof e !== 'string') return e;
      const eq = e.indexOf('=');
      if (eq < 0) return e; // a name alone passes the host's value through: nothing to hide
      redacted.push(`${at}[${i}]`);
      return `${e.slice(0, eq)}=${hash(e.slice(eq + 1))}`;
    });
  };

  const walk = (v: JsonValue, at: string, redacted: string[], depth: number): JsonValue => {
    if (depth > 64) return v;
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}[${i}]`, redacted, depth + 1));
    if (!isObject(v)) return v;
    const pairs: JsonObject['pairs'] = v.pairs.map(([k, x]) => {
      const f = goFold(k);
      const here = at ? `${at}.${k}` : k;
      if (SECRET_FIELDS.has(f)) {
        redacted.push(here);
        return [k, typeof x === 'string' ? hash(x) : REDACTED];
      }
      if (f === 'env') return [k, envList(x, here, redacted)];
      if (f === 'buildargs' && isObject(x)) {
        redacted.push(here);
        return [k, { pairs: x.pairs.map(([n, val]) => [n, typeof val === 'string' ? hash(val) : REDACTED]) }];
      }
      return [k, walk(x, here, redacted, depth + 1)];
    });
    return { pairs };
  };

  return {
    headers(h) {
      const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
      for (const [k, v] of Object.entries(h)) {
        if (v === undefined) continue;
        out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? REDACTED : v;
      }
      return out;
    },
    body(v) {
      const redacted: string[] = [];
      return { value: walk(v, '', redacted, 0), redacted };
    },
    hash,
  };
}
