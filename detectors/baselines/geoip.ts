/**
 * GeoIP from a CSV of networks, one per line: `network,country,asn` — e.g.
 * `198.51.100.0/24,NL,64500` (country an ISO 3166-1 alpha-2 code, asn a number,
 * with or without `AS`; either may be empty). `#` starts a comment; a header line
 * starting with `network` is skipped. Overlapping networks are allowed: the longest
 * prefix wins. Pure: the adapter reads the file, this parses its text.
 *
 * Private, loopback, link-local, CGNAT and unique-local addresses are labelled
 * `private` and never looked up: an internal client is not "from" a country, and a
 * database entry for them would be a mistake. Addresses found nowhere are `unknown`.
 */
import { DockguardError } from '../errors';
import { parseIp } from '../sigma/cidr';
import { PrefixTable } from '../intel/prefix-table';

export interface GeoInfo {
  country: string;
  asn: string;
}

export const PRIVATE_GEO: GeoInfo = { country: 'private', asn: 'private' };
export const UNKNOWN_GEO: GeoInfo = { country: 'unknown', asn: 'unknown' };

const PRIVATE_NETWORKS = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '::1/128',
  '::/128',
  'fc00::/7',
  'fe80::/10',
];

const privateTable = new PrefixTable<true>();
for (const n of PRIVATE_NETWORKS) privateTable.addText(n, true);

export class GeoIpTable {
  constructor(private readonly table: PrefixTable<GeoInfo> = new PrefixTable()) {}

  get size(): number {
    return this.table.size;
  }

  /** Country and ASN of an address; `private` for internal ranges, `unknown` when absent or not an address. */
  lookup(address: string | null): GeoInfo {
    if (address === null) return UNKNOWN_GEO;
    // the same client addresses recur on every event: parse and probe each once (bounded; the table never changes)
    const known = this.recent.get(address);
    if (known) return known;
    const g = this.resolve(address);
    if (this.recent.size >= 4096) this.recent.clear();
    this.recent.set(address, g);
    return g;
  }

  private readonly recent = new Map<string, GeoInfo>();

  private resolve(address: string): GeoInfo {
    const ip = parseIp(address.trim());
    if (!ip) return UNKNOWN_GEO;
    if (privateTable.lookup(ip)) return PRIVATE_GEO;
    return this.table.lookup(ip) ?? UNKNOWN_GEO;
  }
}

/** Parses the CSV text; every bad line is reported (file:line:1) and skipped, the rest is kept. */
export function parseGeoIpCsv(file: string, text: string): { table: GeoIpTable; errors: DockguardError[] } {
  const table = new PrefixTable<GeoInfo>();
  const errors: DockguardError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '' || /^network\s*,/i.test(line)) return;
    const [network = '', country = '', asn = ''] = line.split(',').map((s) => s.trim());
    const asNumber = asn.replace(/^as/i, '');
    const bad = (message: string): void => {
      errors.push(
        new DockguardError({
          stage: 'parse',
          code: 'BASELINE_CONFIG_INVALID',
          message,
          location: { file, line: i + 1, column: 1 },
        }),
      );
    };
    if (country !== '' && !/^[A-Za-z]{2}$/.test(country)) return bad(`"${country}" is not a two-letter country code`);
    if (asNumber !== '' && !/^\d{1,10}$/.test(asNumber)) return bad(`"${asn}" is not an AS number`);
    const info: GeoInfo = {
      country: country === '' ? 'unknown' : country.toUpperCase(),
      asn: asNumber === '' ? 'unknown' : `AS${asNumber}`,
    };
    if (!table.addText(network, info)) bad(`"${network}" is not an address or network (address/prefix)`);
  });
  return { table: new GeoIpTable(table), errors };
}
