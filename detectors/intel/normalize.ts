/**
 * Normal forms for indicators and observed values, so that an indicator matches
 * however the event spells it.
 *
 * Images follow the Docker reference grammar (distribution/reference): no
 * registry means docker.io, a one-component docker.io name lives under `library/`,
 * no tag means `latest` — `alpine` ≡ `docker.io/library/alpine:latest`. A digest
 * (`@sha256:…`) is kept apart.
 */

export type IndicatorType = 'ip' | 'cidr' | 'domain' | 'url' | 'image' | 'digest' | 'hash';
export const INDICATOR_TYPES: readonly IndicatorType[] = ['ip', 'cidr', 'domain', 'url', 'image', 'digest', 'hash'];

/** Lower case, no trailing dot, no brackets of defanged text (`evil[.]example`); undefined when not a host name. */
export function normalizeDomain(raw: string): string | undefined {
  const d = raw
    .trim()
    .toLowerCase()
    .replace(/\[\.\]/g, '.')
    .replace(/\.$/, '');
  if (d.length === 0 || d.length > 253) return undefined;
  if (!/^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/.test(d)) return undefined;
  return d;
}

export interface ParsedUrl {
  /** scheme://host[:port]/path?query, scheme and host lower-cased, no fragment */
  normal: string;
  host: string;
}

/** A URL with a scheme and a host; `hxxp` (defanged) is read as http. */
export function normalizeUrl(raw: string): ParsedUrl | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/?#\s]*@)?(\[[0-9a-f:.]+\]|[^/:?#\s]+)(:\d{1,5})?([^#\s]*)/i.exec(
    raw.trim(),
  );
  if (!m) return undefined;
  let scheme = (m[1] as string).toLowerCase();
  if (scheme === 'hxxp') scheme = 'http';
  if (scheme === 'hxxps') scheme = 'https';
  const host = (m[2] as string)
    .toLowerCase()
    .replace(/\[\.\]/g, '.')
    .replace(/\.$/, '');
  const port = m[3] ?? '';
  const rest = m[4] ?? '';
  const path = rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
  return { normal: `${scheme}://${host}${port}${path}`, host: host.replace(/^\[|\]$/g, '') };
}

export interface ImageRef {
  /** registry/repository, e.g. docker.io/library/alpine */
  repo: string;
  tag: string | undefined;
  digest: string | undefined;
}

/** Parses an image reference; undefined when it is not one. */
export function normalizeImage(raw: string): ImageRef | undefined {
  let s = raw.trim();
  if (s === '' || /\s/.test(s) || s.length > 512) return undefined;
  let digest: string | undefined;
  const at = s.indexOf('@');
  if (at >= 0) {
    digest = normalizeDigest(s.slice(at + 1));
    if (!digest) return undefined;
    s = s.slice(0, at);
  }
  let tag: string | undefined;
  const slash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > slash) {
    tag = s.slice(colon + 1);
    s = s.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) return undefined;
  }
  const parts = s.split('/');
  const first = parts[0] as string;
  // the first component is a registry when it has a dot or a port, or is localhost
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let registry = hasRegistry ? first.toLowerCase() : 'docker.io';
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = 'docker.io';
  const path = (hasRegistry ? parts.slice(1) : parts).join('/').toLowerCase();
  if (path === '' || !/^[a-z0-9]+([._-]+[a-z0-9]+)*(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*$/.test(path)) return undefined;
  const repoPath = registry === 'docker.io' && !path.includes('/') ? `library/${path}` : path;
  return { repo: `${registry}/${repoPath}`, tag, digest };
}

/** `sha256:<64 hex>` in lower case (a bare 64-hex string is taken as sha256). */
export function normalizeDigest(raw: string): string | undefined {
  const s = raw.trim().toLowerCase();
  if (/^[a-f0-9]{64}$/.test(s)) return `sha256:${s}`;
  const m = /^(sha256|sha512):([a-f0-9]{64,128})$/.exec(s);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/** MD5, SHA-1, SHA-256 or SHA-512 hex, lower case. */
export function normalizeHash(raw: string): string | undefined {
  const s = raw
    .trim()
    .toLowerCase()
    .replace(/^(md5|sha1|sha-1|sha256|sha-256|sha512|sha-512):/, '');
  return /^([a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64}|[a-f0-9]{128})$/.test(s) ? s : undefined;
}
