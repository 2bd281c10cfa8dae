/**
 * The one identity of "a client" across the pipeline. The publisher uses it as the
 * Kafka record key, so that every call of one client lands on one partition, in
 * order; the detectors key their per-client state (correlations, baselines) with
 * the same function, so a partition's state is exactly its clients' state.
 *
 * Strongest identity first: the network address the proxy saw, else the TLS
 * client certificate's subject, else the user the authorization plugin reports
 * (the plugin never sees an address), else the collector itself (an anonymous
 * caller on a unix socket: all we know is which host it called).
 *
 * Each kind carries a prefix, so that a user named `10.0.0.1` and the address
 * 10.0.0.1 are different clients. Pure: no I/O, no clock.
 */
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';

export type ClientKeyEvent = Pick<DockerApiEvent, 'source' | 'tls' | 'user' | 'collector'>;

export function clientKey(event: ClientKeyEvent): string {
  const ip = event.source.ip;
  if (ip) return `ip:${canonicalIp(ip)}`;
  const subject = event.tls?.client.subject;
  if (subject) return `tls:${subject}`;
  const user = event.user.name;
  if (user) return `user:${user}`;
  return `collector:${event.collector.id}`;
}

/**
 * Node reports IPv4 peers of a dual-stack socket as `::ffff:a.b.c.d`; the same
 * client must not get two keys depending on how the listener was bound. IPv6 is
 * lower-cased (its hex digits are case-insensitive); zone ids are kept.
 */
export function canonicalIp(ip: string): string {
  const lower = ip.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  return mapped ? mapped[1]! : lower;
}
