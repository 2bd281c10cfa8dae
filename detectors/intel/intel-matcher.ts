/**
 * Matches an audit event against an IndicatorSet: the client address, and the
 * URLs, host names, addresses, images and digests found in its parameters. Env
 * values are redacted by the collectors (only names are kept), so they are not
 * searched. Fields are read defensively: the event schema grows (v2 adds
 * dockguard.exec, dockguard.image, dockguard.query).
 */
import { fieldStrings } from '../findings/event-fields';
import type { Indicator, IndicatorSet } from './indicator-set';

export interface IntelHit {
  indicator: Indicator;
  /** The event field it was found in. */
  field: string;
  /** The value as found there (a URL, host, address or image). */
  observed: string;
}

/** Free-text fields searched for URLs, host names and addresses. */
export const TEXT_FIELDS = [
  'process.command_line',
  'process.args',
  'dockguard.exec.cmd',
  'dockguard.container.cmd',
  'dockguard.container.entrypoint',
  'dockguard.service.args',
  'dockguard.image.remote',
  'dockguard.plugin.remote',
  'dockguard.query.remote',
  'url.query',
];

/** Fields that hold an image reference. */
export const IMAGE_FIELDS = [
  'container.image.name',
  'dockguard.image.from_image',
  'dockguard.service.image',
  'dockguard.plugin.remote',
  'dockguard.query.fromImage',
];
export const DIGEST_FIELDS = ['dockguard.image.digest', 'container.image.hash.all'];
export const HASH_FIELDS = ['file.hash.sha256', 'file.hash.sha1', 'file.hash.md5', 'dockguard.file.hash'];

const MAX_STRINGS = 64;
const MAX_CHARS = 16_384;
const MAX_CANDIDATES = 256;

const URL_RE = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s'"`|;&<>(){}\\]+/gi;
const HOST_RE = /(?:^|[\s'"`=@/(,])((?:[a-z0-9_](?:[a-z0-9_-]{0,62})\.)+[a-z][a-z0-9-]{1,62})(?=$|[\s'"`:/|;&),])/gi;
const IPV4_RE = /(?:^|[^\d.])((?:\d{1,3}\.){3}\d{1,3})(?![\d.])/g;

/** URLs, host names and IPv4 addresses in a text, bounded. */
export function observablesInText(text: string): { urls: string[]; hosts: string[]; ips: string[] } {
  const t = text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) : text;
  const take = (re: RegExp, group: number): string[] => {
    const out: string[] = [];
    re.lastIndex = 0;
    for (let m = re.exec(t); m && out.length < MAX_CANDIDATES; m = re.exec(t)) out.push(m[group] as string);
    return out;
  };
  return { urls: take(URL_RE, 0), hosts: take(HOST_RE, 1), ips: take(IPV4_RE, 1) };
}

/** `fromImage=alpine&tag=3.18` of POST /images/create → `alpine:3.18`. */
function pullImage(query: string): string | undefined {
  const params = new URLSearchParams(query);
  const from = params.get('fromImage');
  if (!from) return undefined;
  const tag = params.get('tag');
  if (!tag) return from;
  return tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`;
}

function firstNonEmpty(xs: readonly string[]): string | null {
  for (const s of xs) if (s !== '') return s;
  return null;
}

const holdsCache = new WeakMap<IndicatorSet, IndicatorSet['holds']>();

export function matchIntel(event: unknown, set: IndicatorSet): IntelHit[] {
  const out: IntelHit[] = [];
  if (set.size === 0) return out;
  let holds = holdsCache.get(set);
  if (!holds) {
    holds = set.holds;
    holdsCache.set(set, holds);
  }
  const seen = new Set<Indicator>();
  const hit = (ind: Indicator | undefined, field: string, observed: string): void => {
    if (!ind || seen.has(ind)) return;
    seen.add(ind);
    out.push({ indicator: ind, field, observed });
  };
  // one resolution per field: cheaper than walking the event's big branches (dockguard.*) for a few absent fields
  const strings = (field: string): string[] => fieldStrings(event, field);
  if (holds.ips) {
    const ip = firstNonEmpty(strings('source.ip'));
    if (ip !== null) hit(set.matchIp(ip), 'source.ip', ip);
  }
  if (holds.text) {
    let budget = MAX_STRINGS;
    for (const field of TEXT_FIELDS) {
      for (const s of strings(field)) {
        if (budget-- <= 0) break;
        // a URL needs '://', a host name and an IPv4 address a dot: most arguments have neither
        if (s.indexOf('.') < 0 && s.indexOf('://') < 0) continue;
        const o = observablesInText(s);
        for (const u of o.urls) hit(set.matchUrl(u), field, u);
        for (const h of o.hosts) hit(set.matchDomain(h), field, h);
        for (const a of o.ips) hit(set.matchIp(a), field, a);
      }
    }
  }
  if (holds.images) {
    for (const field of IMAGE_FIELDS) for (const s of strings(field)) hit(set.matchImage(s), field, s);
    const query = firstNonEmpty(strings('url.query'));
    const pulled = query === null ? undefined : pullImage(query);
    if (pulled) hit(set.matchImage(pulled), 'url.query', pulled);
  }
  if (holds.digests)
    for (const field of DIGEST_FIELDS) for (const s of strings(field)) hit(set.matchDigest(s), field, s);
  if (holds.hashes) for (const field of HASH_FIELDS) for (const s of strings(field)) hit(set.matchHash(s), field, s);
  return out;
}
