/**
 * The client identity the detectors key baselines and findings by: source.ip,
 * else the TLS client certificate subject, else the authz user, else the
 * collector id. The authz plugin never sees a client address (FACTS.md), so
 * behind it the certificate or user is the best identity there is.
 *
 * The publisher keys Kafka records with `pipelines/collectors/client-key.ts` (detectors/
 * must not import pipelines/). The two differ on purpose: that key carries the kind
 * (`ip:…`, `tls:…`) and folds IPv4-mapped IPv6 addresses, as a partition key must; this
 * one is the plain value, which a SOC analyst reads in `dockguard.client_key`. Both take
 * the same fields in the same order, so every event of one client lands on one
 * partition and keeps one detector state; keep that order in step. A user named like
 * an address shares baseline state with that address here (the collectors' events carry
 * either an address or a user, so this needs an unusual authz setup).
 */
import { fieldString } from './event-fields';

export function clientKey(event: unknown): string {
  const ip = fieldString(event, 'source.ip');
  if (ip !== null) return ip;
  const subject = fieldString(event, 'tls.client.subject');
  if (subject !== null) return subject;
  const user = fieldString(event, 'user.name');
  if (user !== null) return user;
  const collector = fieldString(event, 'collector.id');
  if (collector !== null) return collector;
  return 'unknown';
}
