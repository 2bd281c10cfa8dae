/**
 * Audit events in the Avro schema's shape (schemas/avro/docker-api-event.avsc),
 * ~1.2 KB as JSON, for the publisher benchmark and the Kafka tests: container
 * creates with a request body, starts, execs, inspects and lists, from a fixed set
 * of clients (addresses, TLS subjects, authz users), deterministic for a seed.
 *
 * Fields are set where they matter (ids, keys, the request body); everything else
 * takes the schema's defaults, read from the schema itself, so the generator
 * keeps producing valid events when fields are added to the schema.
 */
import * as avro from 'avsc';
import * as fs from 'fs';
import * as path from 'path';
import type { DockerApiEvent } from '../schemas/generated/docker-api-event';
import { mulberry32 as rng } from '../test/traffic/prng';

function schemaFile(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const f = path.join(dir, 'schemas', 'avro', 'docker-api-event.avsc');
    if (fs.existsSync(f)) return f;
    if (path.dirname(dir) === dir) throw new Error(`schemas/avro/docker-api-event.avsc not found above ${__dirname}`);
  }
}

let cached: avro.Type | undefined;
export function auditEventType(): avro.Type {
  cached ??= avro.Type.forSchema(JSON.parse(fs.readFileSync(schemaFile(), 'utf8')) as avro.Schema);
  return cached;
}

/** Fills every field missing from `value` with the schema's default (recursively). */
export function withDefaults(type: avro.Type, value: unknown): unknown {
  if (type instanceof avro.types.RecordType) {
    const v = (value ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const f of type.fields) {
      out[f.name] = f.name in v ? withDefaults(f.type, v[f.name]) : f.defaultValue();
      if (out[f.name] === undefined) throw new Error(`field ${f.name} has no value and no default`);
    }
    return out;
  }
  const branches = (type as { types?: avro.Type[] }).types; // a union (avsc's wrapped or unwrapped kind)
  if (branches && value !== null && value !== undefined) {
    const rec = branches.find((t) => t instanceof avro.types.RecordType);
    if (rec && typeof value === 'object' && !Array.isArray(value)) return withDefaults(rec, value);
  }
  return value;
}

const IMAGES = ['nginx:1.25-alpine', 'postgres:16.4', 'redis:7.2', 'registry.acme.local/billing/api:2026.11.3'];
const AGENTS = ['Docker-Client/24.0.7 (linux)', 'docker-compose/1.29.2 docker-py/5.0.3 Linux/6.1.0-26-amd64'];

export interface AuditEventOptions {
  seed?: number;
  /** Distinct clients (keys). */
  clients?: number;
  /** Prefix of event ids: `<prefix>-<n>`. */
  idPrefix?: string;
}

/** The n-th event's client; ids are `<prefix>-<n>`, so a consumer can check order per client. */
export function makeAuditEvents(count: number, options: AuditEventOptions = {}): DockerApiEvent[] {
  const { seed = 20261128, clients = 50, idPrefix = 'ev' } = options;
  const rand = rng(seed);
  const type = auditEventType();
  const out: DockerApiEvent[] = [];
  for (let n = 0; n < count; n++) {
    const c = Math.floor(rand() * clients);
    const image = IMAGES[c % IMAGES.length]!;
    const create = rand() < 0.4;
    const body = create
      ? JSON.stringify({
          Image: image,
          Cmd: ['sh', '-c', `exec /app/run --worker ${n % 8} --log-level info`],
          Env: ['PATH', 'LANG', 'APP_ENV', 'DB_PASSWORD'],
          Labels: { 'com.acme.team': 'billing', 'com.acme.build': String(10000 + c) },
          HostConfig: {
            Binds: ['/srv/app/config:/etc/app:ro'],
            NetworkMode: 'bridge',
            RestartPolicy: { Name: 'always' },
          },
        })
      : null;
    // Clients 0..9 are authz users (no address), 10..19 TLS clients, the rest addresses.
    const kind = c < 10 ? 'user' : c < 20 ? 'tls' : 'ip';
    const partial = {
      timestamp: 1795860069000 + n,
      event: { id: `${idPrefix}-${n}`, action: create ? 'container-create' : 'container-inspect', outcome: 'success' },
      collector: { id: 'collector-bench', mode: kind === 'user' ? 'authz' : 'proxy' },
      host: { name: 'docker-01.acme.local' },
      source:
        kind === 'ip' ? { ip: `10.20.${c >> 8}.${c & 255}`, port: 40000 + (n % 20000) } : { ip: null, port: null },
      tls:
        kind === 'tls'
          ? { client: { subject: `CN=ci-runner-${c},OU=ci,O=acme`, issuer: 'CN=acme-docker-ca', hash_sha256: null } }
          : null,
      user: { name: kind === 'user' ? `user${c}` : null },
      user_agent: { original: AGENTS[c % AGENTS.length]! },
      http: {
        request: { method: create ? 'POST' : 'GET', body: { bytes: body?.length ?? 0 } },
        response: { status_code: create ? 201 : 200 },
      },
      url: create
        ? { original: `/v1.41/containers/create?name=app-${n}`, path: '/containers/create', query: `name=app-${n}` }
        : { original: `/v1.41/containers/app-${n % 97}/json`, path: `/containers/app-${n % 97}/json`, query: null },
      container: { id: null, name: `app-${n % 97}`, image: { name: create ? image : null } },
      process: create
        ? { args: ['sh', '-c', `exec /app/run --worker ${n % 8} --log-level info`], command_line: null }
        : { args: [], command_line: null },
      dockguard: {
        endpoint: create ? '/containers/create' : '/containers/{id}/json',
        api_version: '1.41',
        request: { body, body_complete: true },
        decision: { allowed: true, rule: null, reason: null },
        container: create
          ? {
              cmd: ['sh', '-c', `exec /app/run --worker ${n % 8} --log-level info`],
              binds: ['/srv/app/config:/etc/app:ro'],
              network_mode: 'bridge',
              env_names: ['PATH', 'LANG', 'APP_ENV', 'DB_PASSWORD'],
              restart_policy: 'always',
            }
          : null,
      },
    };
    out.push(withDefaults(type, partial) as DockerApiEvent);
  }
  return out;
}
