/**
 * An immutable set of indicators, indexed for the lookups the matcher makes: exact
 * addresses and networks (longest prefix), domains with their subdomains, URLs,
 * images with or without tag, digests and file hashes. Built once per load; a
 * reload builds a new set and swaps it whole.
 */
import {
  normalizeDigest,
  normalizeDomain,
  normalizeHash,
  normalizeImage,
  normalizeUrl,
  type IndicatorType,
} from './normalize';
import { PrefixTable } from './prefix-table';

export interface Indicator {
  type: IndicatorType;
  /** As written in the source. */
  value: string;
  /** The file or feed it came from. */
  source: string;
  description?: string;
}

export class IndicatorSet {
  private readonly networks = new PrefixTable<Indicator>();
  private readonly domains = new Map<string, Indicator>();
  private readonly urls = new Map<string, Indicator>();
  /** repo:tag for tagged indicators, repo for untagged ones (any tag) */
  private readonly images = new Map<string, Indicator>();
  private readonly digests = new Map<string, Indicator>();
  private readonly hashes = new Map<string, Indicator>();
  private count = 0;

  /** Adds an indicator; false when its value is not valid for its type (the caller reports it). */
  add(ind: Indicator): boolean {
    const v = ind.value;
    let ok = false;
    switch (ind.type) {
      case 'ip':
      case 'cidr':
        ok = this.networks.addText(v, ind);
        break;
      case 'domain': {
        const d = normalizeDomain(v);
        if (d) ok = setOnce(this.domains, d, ind);
        break;
      }
      case 'url': {
        const u = normalizeUrl(v);
        if (u) ok = setOnce(this.urls, u.normal, ind);
        break;
      }
      case 'image': {
        const i = normalizeImage(v);
        if (i?.digest) ok = setOnce(this.digests, i.digest, ind);
        else if (i) ok = setOnce(this.images, i.tag === undefined ? i.repo : `${i.repo}:${i.tag}`, ind);
        break;
      }
      case 'digest': {
        const d = normalizeDigest(v);
        if (d) ok = setOnce(this.digests, d, ind);
        break;
      }
      case 'hash': {
        const h = normalizeHash(v);
        if (h) ok = setOnce(this.hashes, h, ind);
        break;
      }
    }
    if (ok) this.count++;
    return ok;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Which lookups can ever answer: the matcher skips the fields (and the text
   * scanning) of kinds the set holds no indicator of. Text (URLs, hosts,
   * addresses) consults urls, networks and domains; images consult images and digests.
   */
  get holds(): { text: boolean; ips: boolean; images: boolean; digests: boolean; hashes: boolean } {
    const ips = this.networks.size > 0;
    return {
      text: ips || this.domains.size > 0 || this.urls.size > 0,
      ips,
      images: this.images.size > 0 || this.digests.size > 0,
      digests: this.digests.size > 0,
      hashes: this.hashes.size > 0,
    };
  }

  matchIp(address: string): Indicator | undefined {
    return this.networks.lookupText(address);
  }

  /** The domain or its nearest listed parent (`a.b.evil.example` matches `evil.example`). */
  matchDomain(host: string): Indicator | undefined {
    let d = normalizeDomain(host);
    while (d) {
      const hit = this.domains.get(d);
      if (hit) return hit;
      const dot = d.indexOf('.');
      d = dot < 0 ? undefined : d.slice(dot + 1);
    }
    return undefined;
  }

  /** The URL itself, else its host as a domain or an address. */
  matchUrl(raw: string): Indicator | undefined {
    const u = normalizeUrl(raw);
    if (!u) return undefined;
    return this.urls.get(u.normal) ?? this.matchIp(u.host) ?? this.matchDomain(u.host);
  }

  matchImage(raw: string): Indicator | undefined {
    const i = normalizeImage(raw);
    if (!i) return undefined;
    if (i.digest) {
      const d = this.digests.get(i.digest);
      if (d) return d;
    }
    return this.images.get(`${i.repo}:${i.tag ?? 'latest'}`) ?? this.images.get(i.repo);
  }

  matchDigest(raw: string): Indicator | undefined {
    const d = normalizeDigest(raw);
    return d ? this.digests.get(d) : undefined;
  }

  matchHash(raw: string): Indicator | undefined {
    const h = normalizeHash(raw);
    return h ? this.hashes.get(h) : undefined;
  }
}

function setOnce(m: Map<string, Indicator>, k: string, ind: Indicator): boolean {
  if (m.has(k)) return true; // a duplicate is valid, the first source is kept
  m.set(k, ind);
  return true;
}
