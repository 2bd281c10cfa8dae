/**
 * Secrets whose key alone does not give them away, so the generic body redaction
 * (redact.ts) cannot know them: the payload of `POST /secrets/create` is a field
 * named `Data`, and plugin settings (`POST /plugins/{name}/set`) are a bare list of
 * `KEY=value` strings. Both become keyed hashes; names stay.
 */
import { goFold, isObject, type JsonValue } from './docker-json';

export function redactEndpointSecrets(
  endpoint: string,
  body: JsonValue,
  hash: (value: string) => string,
): { value: JsonValue; redacted: string[] } {
  const redacted: string[] = [];
  if (endpoint === '/secrets/create' && isObject(body)) {
    const pairs = body.pairs.map(([k, v]): [string, JsonValue] => {
      if (goFold(k) !== 'data') return [k, v];
      redacted.push(k);
      return [k, typeof v === 'string' ? hash(v) : null];
    });
    return { value: { pairs }, redacted };
  }
  if (endpoint === '/plugins/{name}/set' && Array.isArray(body)) {
    const value = body.map((e, i) => {
      if (typeof e !== 'string' || !e.includes('=')) return e;
      redacted.push(`[${i}]`);
      const eq = e.indexOf('=');
      return `${e.slice(0, eq)}=${hash(e.slice(eq + 1))}`;
    });
    return { value, redacted };
  }
  return { value: body, redacted };
}
