/**
 * Which client addresses may use the proxy (`collector.proxy.allowClients`).
 * An empty list allows everyone: the deployment then relies on TLS client
 * certificates or on the listen address (the proxy warns loudly at startup).
 */
import { inNetwork, parseCidr, parseIp, type Network } from '../../detectors/sigma/cidr';

export type ClientFilter = (ip: string | null) => boolean;

export function clientFilter(cidrs: readonly string[]): ClientFilter {
  if (cidrs.length === 0) return () => true;
  const nets: Network[] = cidrs.map((c) => {
    const n = parseCidr(c.includes('/') ? c : c.includes(':') ? `${c}/128` : `${c}/32`);
    if (!n) throw new Error(`not a CIDR network: ${c}`);
    return n;
  });
  return (ip) => {
    if (ip === null) return false;
    const addr = parseIp(ip);
    return addr !== undefined && nets.some((n) => inNetwork(addr, n));
  };
}

/** `::ffff:10.1.2.3` (an IPv4 client of a dual-stack socket) as `10.1.2.3`, for events and rules. */
export function plainAddress(ip: string | undefined): string | null {
  if (!ip) return null;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}
