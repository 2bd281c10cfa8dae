/**
 * IPv4 and IPv6 addresses and CIDR ranges for the `cidr` modifier.
 * An IPv4-mapped IPv6 address (`::ffff:203.0.113.7`, what Node reports for IPv4
 * clients of a dual-stack socket) matches IPv4 ranges.
 */

export interface Network {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** Four dot-separated parts of 1 to 3 ASCII digits, each at most 255 (leading zeros allowed). */
export function parseIPv4(s: string): Uint8Array | undefined {
  // one pass over the code units: no split, no regex (cidr rules parse an address per event)
  if (s.length < 7 || s.length > 15) return undefined;
  let out: Uint8Array | undefined;
  let part = 0;
  let digits = 0;
  let n = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // the end closes the last part like a dot
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return undefined;
      n = n * 10 + (c - 48);
      continue;
    }
    if (c !== 46 || digits === 0 || n > 255 || part > 3) return undefined;
    out ??= new Uint8Array(4);
    out[part++] = n;
    digits = 0;
    n = 0;
  }
  return part === 4 ? out : undefined;
}

export function parseIPv6(input: string): Uint8Array | undefined {
  let s = input;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (!s.includes(':')) return undefined;
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail = parseIPv4(s.slice(lastColon + 1));
    if (!tail) return undefined;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string): number[] | undefined => {
    if (h === '') return [];
    const groups = h.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] as string);
  const rest = halves.length === 2 ? parse(halves[1] as string) : [];
  if (!head || !rest) return undefined;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

export function parseIp(s: string): { version: 4 | 6; bytes: Uint8Array } | undefined {
  const v4 = parseIPv4(s);
  if (v4) return { version: 4, bytes: v4 };
  const v6 = parseIPv6(s);
  if (!v6) return undefined;
  // IPv4-mapped: ::ffff:a.b.c.d
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff)
    return { version: 4, bytes: v6.slice(12) };
  return { version: 6, bytes: v6 };
}

export function parseCidr(s: string): Network | undefined {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const ip = parseIPv4(addr) ? { version: 4 as const, bytes: parseIPv4(addr) as Uint8Array } : undefined;
  const v6 = ip ? undefined : parseIPv6(addr);
  const parsed = ip ?? (v6 ? { version: 6 as const, bytes: v6 } : undefined);
  if (!parsed) return undefined;
  const max = parsed.version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > max) return undefined;
  }
  return { version: parsed.version, bytes: parsed.bytes, prefix };
}

export function inNetwork(ip: { version: 4 | 6; bytes: Uint8Array }, net: Network): boolean {
  if (ip.version !== net.version) return false;
  let bits = net.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((ip.bytes[i] as number) & mask) !== ((net.bytes[i] as number) & mask)) return false;
  }
  return true;
}
