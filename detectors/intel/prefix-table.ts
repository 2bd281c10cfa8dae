/**
 * Longest-prefix lookup of IPv4/IPv6 addresses in a set of networks (intel CIDRs,
 * GeoIP ranges). One hash map per prefix length in use, tried from the longest:
 * a lookup costs at most one map probe per distinct prefix length (a handful in
 * practice), overlapping ranges are fine, and building is linear.
 */
import { parseCidr, parseIp, type Network } from '../sigma/cidr';

const RECENT_MAX = 4096;

export type IpAddress = { version: 4 | 6; bytes: Uint8Array };

function maskedKey(bytes: Uint8Array, prefix: number): string {
  let key = '';
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    key += (((bytes[i] as number) & mask) + 256).toString(16);
  }
  return key;
}

export class PrefixTable<T> {
  private readonly maps: { 4: Map<number, Map<string, T>>; 6: Map<number, Map<string, T>> } = {
    4: new Map(),
    6: new Map(),
  };
  private prefixes: { 4: number[]; 6: number[] } = { 4: [], 6: [] };
  private count = 0;

  /** Adds a network; an equal network already present keeps its first value. */
  add(net: Network, value: T): void {
    let m = this.maps[net.version].get(net.prefix);
    if (!m) {
      m = new Map();
      this.maps[net.version].set(net.prefix, m);
      this.prefixes[net.version] = [...this.maps[net.version].keys()].sort((a, b) => b - a);
    }
    const key = maskedKey(net.bytes, net.prefix);
    this.recent.clear();
    if (!m.has(key)) {
      m.set(key, value);
      this.count++;
    }
  }

  /** Adds `text` (an address or address/prefix); false when it is not one. */
  addText(text: string, value: T): boolean {
    const net = parseCidr(text.trim());
    if (!net) return false;
    this.add(net, value);
    return true;
  }

  lookup(ip: IpAddress): T | undefined {
    const maps = this.maps[ip.version];
    for (const p of this.prefixes[ip.version]) {
      const v = maps.get(p)?.get(maskedKey(ip.bytes, p));
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /**
   * Answers for recently looked-up texts. The same few client addresses come back
   * on every event, and parsing an address and building a masked key per prefix
   * length costs more than the probe itself. Bounded; emptied by `add`.
   */
  private readonly recent = new Map<string, T | null>();

  lookupText(text: string): T | undefined {
    const known = this.recent.get(text);
    if (known !== undefined) return known ?? undefined;
    const ip = parseIp(text.trim());
    const v = ip ? this.lookup(ip) : undefined;
    if (this.recent.size >= RECENT_MAX) this.recent.clear();
    this.recent.set(text, v ?? null);
    return v;
  }

  get size(): number {
    return this.count;
  }
}
