/**
 * Matches an audit event against an IndicatorSet: the client address, and the
 * URLs, host names, addresses, images and digests found in its parameters. Env
 * values are redacted by the collectors (only names are kept), so they are not
 * searched. Fields are read defensively: the event schema grows (v2 adds
 * dockguard.exec, dockguard.image, dockguard.query).
 */
import { fieldReader, type FieldReader } from '../findings/event-fields';
import { FieldCollector, FieldPlan } from '../sigma/field-plan';
import { WalkMemo } from '../sigma/walk-memo';
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

/** An indicator found in a text, with the URL, host or address it was found as. */
interface TextHit {
  ind: Indicator;
  observed: string;
}

const NO_HITS: readonly TextHit[] = Object.freeze([]);
/** Strings longer than this are scanned every time rather than remembered (memory stays bounded). */
const MEMO_CHARS = 1024;
const MEMO_MAX = 4096;

/**
 * Per indicator set, what it answered for texts, images and pull queries seen
 * recently: the same command lines, images and queries recur across events, and
 * scanning and normalising them cost far more than one map probe. The set is
 * immutable once loaded (a reload builds a new one); `size` guards against `add`
 * after use. Bounded: emptied when full.
 */
interface Prepared {
  size: number;
  holds: IndicatorSet['holds'];
  texts: Map<string, readonly TextHit[]>;
  images: Map<string, Indicator | null>;
  pulls: Map<string, { pulled: string; ind: Indicator | undefined } | null>;
  /** a walk over every field read here, and the hits by its values (see matchIntel) */
  walk: FieldCollector;
  hits: WalkMemo<readonly IntelHit[]>;
}

/** Every field matchIntel reads: its hits depend on these values (and the set) alone. */
export const INTEL_FIELDS: readonly string[] = [
  'source.ip',
  'url.query',
  ...TEXT_FIELDS,
  ...IMAGE_FIELDS,
  ...DIGEST_FIELDS,
  ...HASH_FIELDS,
];
const INTEL_PLAN = new FieldPlan(INTEL_FIELDS);

const preparedBySet = new WeakMap<IndicatorSet, Prepared>();

function prepared(set: IndicatorSet): Prepared {
  let p = preparedBySet.get(set);
  if (!p || p.size !== set.size) {
    p = {
      size: set.size,
      holds: set.holds,
      texts: new Map(),
      images: new Map(),
      pulls: new Map(),
      walk: new FieldCollector(INTEL_PLAN),
      hits: new WalkMemo(),
    };
    preparedBySet.set(set, p);
  }
  return p;
}

function remember<V>(m: Map<string, V>, k: string, v: V): V {
  if (k.length > MEMO_CHARS) return v;
  if (m.size >= MEMO_MAX) m.clear();
  m.set(k, v);
  return v;
}

/** The indicators a text holds, in the order of its URLs, then host names, then addresses. */
function textHits(set: IndicatorSet, p: Prepared, s: string): readonly TextHit[] {
  const known = p.texts.get(s);
  if (known) return known;
  const o = observablesInText(s);
  let hits: TextHit[] | undefined;
  const add = (ind: Indicator | undefined, observed: string): void => {
    if (ind) (hits ??= []).push({ ind, observed });
  };
  for (const u of o.urls) add(set.matchUrl(u), u);
  for (const h of o.hosts) add(set.matchDomain(h), h);
  for (const a of o.ips) add(set.matchIp(a), a);
  return remember(p.texts, s, hits ?? NO_HITS);
}

function imageHit(set: IndicatorSet, p: Prepared, s: string): Indicator | undefined {
  const known = p.images.get(s);
  if (known !== undefined) return known ?? undefined;
  return remember(p.images, s, set.matchImage(s) ?? null) ?? undefined;
}

function pullHit(set: IndicatorSet, p: Prepared, query: string): { pulled: string; ind: Indicator | undefined } | null {
  const known = p.pulls.get(query);
  if (known !== undefined) return known;
  const pulled = pullImage(query);
  return remember(p.pulls, query, pulled ? { pulled, ind: set.matchImage(pulled) } : null);
}

const reader = (name: string): [string, FieldReader] => [name, fieldReader(name)];
const SOURCE_IP = fieldReader('source.ip');
const URL_QUERY = fieldReader('url.query');
const TEXT_READERS = TEXT_FIELDS.map(reader);
const IMAGE_READERS = IMAGE_FIELDS.map(reader);
const DIGEST_READERS = DIGEST_FIELDS.map(reader);
const HASH_READERS = HASH_FIELDS.map(reader);

function first(v: string | readonly string[]): string | null {
  return typeof v === 'string' ? (v === '' ? null : v) : firstNonEmpty(v);
}

/** Each indicator is reported once, for its first field (hits are rare: a scan of `out` is enough). */
function hit(out: IntelHit[], ind: Indicator | undefined, field: string, observed: string): void {
  if (!ind) return;
  for (const h of out) if (h.indicator === ind) return;
  out.push({ indicator: ind, field, observed });
}

type Lookup = 'image' | 'digest' | 'hash';

function lookup(set: IndicatorSet, p: Prepared, kind: Lookup, s: string): Indicator | undefined {
  return kind === 'image' ? imageHit(set, p, s) : kind === 'digest' ? set.matchDigest(s) : set.matchHash(s);
}

function each(
  event: unknown,
  out: IntelHit[],
  set: IndicatorSet,
  p: Prepared,
  readers: readonly [string, FieldReader][],
  kind: Lookup,
): void {
  for (const [field, read] of readers) {
    const v = read(event);
    if (typeof v === 'string') hit(out, lookup(set, p, kind, v), field, v);
    else for (const s of v) hit(out, lookup(set, p, kind, s), field, s);
  }
}

/** The text fields' URLs, hosts and addresses; at most MAX_STRINGS strings in all. */
function scanTexts(event: unknown, out: IntelHit[], set: IndicatorSet, p: Prepared): void {
  let budget = MAX_STRINGS;
  for (const [field, read] of TEXT_READERS) {
    const v = read(event);
    const strings = typeof v === 'string' ? [v] : v;
    for (const s of strings) {
      if (budget-- <= 0) break;
      // a URL needs '://', a host name and an IPv4 address a dot: most arguments have neither
      if (s.indexOf('.') < 0 && s.indexOf('://') < 0) continue;
      for (const h of textHits(set, p, s)) hit(out, h.ind, field, h.observed);
    }
  }
}

/**
 * The indicators an event holds. Events repeat (the same calls from the same
 * clients): one walk over INTEL_FIELDS looks the event's values up in the set's
 * memo of earlier answers (sigma/walk-memo.ts); only new values are matched.
 */
export function matchIntel(event: unknown, set: IndicatorSet): IntelHit[] {
  if (set.size === 0) return [];
  const p = prepared(set);
  if (!p.hits.active()) return matchEvent(event, set, p);
  p.walk.collect(event);
  const known = p.hits.get(p.walk);
  if (known !== undefined) return known.length === 0 ? [] : known.slice();
  const out = matchEvent(event, set, p);
  p.hits.set(p.walk, out.slice());
  return out;
}

function matchEvent(event: unknown, set: IndicatorSet, p: Prepared): IntelHit[] {
  const out: IntelHit[] = [];
  const holds = p.holds;
  // one resolution per field: cheaper than walking the event's big branches (dockguard.*) for a few absent fields
  if (holds.ips) {
    const ip = first(SOURCE_IP(event));
    if (ip !== null) hit(out, set.matchIp(ip), 'source.ip', ip);
  }
  if (holds.text) scanTexts(event, out, set, p);
  if (holds.images) {
    each(event, out, set, p, IMAGE_READERS, 'image');
    const query = first(URL_QUERY(event));
    const pulled = query === null ? null : pullHit(set, p, query);
    if (pulled) hit(out, pulled.ind, 'url.query', pulled.pulled);
  }
  if (holds.digests) each(event, out, set, p, DIGEST_READERS, 'digest');
  if (holds.hashes) each(event, out, set, p, HASH_READERS, 'hash');
  return out;
}
