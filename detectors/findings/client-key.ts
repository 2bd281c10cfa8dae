/**
 * The client identity the detectors key baselines and findings by: source.ip,
 * else the TLS client certificate subject, else the authz user, else the
 * collector id. The authz plugin never sees a client address (FACTS.md), so
 * behind it the certificate or user is the best identity there is.
 *
 * The collectors will own this as `pipelines/collectors/client-key.ts`; detectors/
 * must not import pipelines/, so the same logic lives here. Keep both in step.
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
