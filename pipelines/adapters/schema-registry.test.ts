/**
 * The registry client's own logic (requests it builds, answers it reads, errors,
 * caching) against an in-memory registry that answers as the Confluent REST API
 * documents; and its transport against a real closed port. No real registry runs
 * here (none installs on this machine): see schemas/README.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DockguardError } from '../../detectors/errors';
import { AvroCodec, BUILTIN_SCHEMAS } from '../codec/avro-codec';
import { createCodec } from '../codec/create-codec';
import { loadConfig, type RawConfig } from '../config/config';
import {
  nodeTransport,
  readSchemaRegistryConfig,
  SchemaRegistryClient,
  type HttpAnswer,
  type HttpRequest,
  type SchemaRegistryConfig,
} from './schema-registry';

const AVRO_DIR = path.resolve(__dirname, '../../schemas/avro');
const EVENT = 'dockguard.docker-api-event';
const V1 = fs.readFileSync(path.join(AVRO_DIR, 'history/docker-api-event.v1.avsc'), 'utf8');

function raw(values: Record<string, unknown>): RawConfig {
  return { file: null, values };
}

function config(over: Partial<SchemaRegistryConfig> = {}): SchemaRegistryConfig {
  return { ...readSchemaRegistryConfig(raw({ schemaRegistry: { url: 'http://registry:8081/' } })), ...over };
}

/** Answers as a Confluent Schema Registry does: one global id per distinct schema. */
function memoryRegistry() {
  const requests: HttpRequest[] = [];
  const subjects = new Map<string, number[]>();
  const schemas = new Map<number, string>();
  let next = 100;
  const json = (status: number, body: unknown): HttpAnswer => ({ status, body: JSON.stringify(body) });
  const idFor = (schema: string): number | undefined => [...schemas].find(([, s]) => s === schema)?.[0];
  const transport = async (req: HttpRequest): Promise<HttpAnswer> => {
    requests.push(req);
    const u = new URL(req.url);
    let m = /^\/schemas\/ids\/(\d+)$/.exec(u.pathname);
    if (req.method === 'GET' && m) {
      const s = schemas.get(Number(m[1]));
      return s === undefined ? json(404, { error_code: 40403, message: 'Schema not found' }) : json(200, { schema: s });
    }
    m = /^\/subjects\/([^/]+)(\/versions)?$/.exec(u.pathname);
    if (req.method === 'POST' && m) {
      const subject = decodeURIComponent(m[1] ?? '');
      const schema = JSON.stringify(JSON.parse((JSON.parse(req.body ?? '{}') as { schema: string }).schema));
      const ids = subjects.get(subject) ?? [];
      if (m[2]) {
        const id = idFor(schema) ?? next++;
        schemas.set(id, schema);
        if (!ids.includes(id)) subjects.set(subject, [...ids, id]);
        return json(200, { id });
      }
      if (ids.length === 0) return json(404, { error_code: 40401, message: `Subject '${subject}' not found.` });
      const id = idFor(schema);
      if (id === undefined || !ids.includes(id)) return json(404, { error_code: 40403, message: 'Schema not found' });
      return json(200, { subject, id, version: ids.indexOf(id) + 1, schema });
    }
    return json(404, { error_code: 404, message: 'HTTP 404 Not Found' });
  };
  /** As another producer would: a schema registered under an id of its own. */
  const preload = (subject: string, schema: string): number => {
    const id = next++;
    schemas.set(id, JSON.stringify(JSON.parse(schema)));
    subjects.set(subject, [...(subjects.get(subject) ?? []), id]);
    return id;
  };
  return { transport, requests, preload };
}

async function failure(p: Promise<unknown>): Promise<DockguardError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DockguardError) return e;
    throw e;
  }
  throw new Error('expected a DockguardError');
}

describe('schema registry configuration (section schemaRegistry)', () => {
  it('defaults to no registry, and then the codec uses the built-in catalogue', async () => {
    const c = readSchemaRegistryConfig(raw({}));
    expect(c).toEqual({
      url: '',
      username: null,
      password: null,
      passwordFile: null,
      caFile: null,
      timeoutMs: 5000,
      autoRegister: true,
      subjects: {},
    });
    const codec = await createCodec(raw({}));
    expect(codec.idOf(EVENT)).toBe(Math.max(...BUILTIN_SCHEMAS.filter((s) => s.subject === EVENT).map((s) => s.id)));
  });

  it('is read from the environment', () => {
    const c = readSchemaRegistryConfig(
      loadConfig(null, {
        DOCKGUARD_SCHEMA_REGISTRY__URL: 'https://sr:8081',
        DOCKGUARD_SCHEMA_REGISTRY__AUTO_REGISTER: 'false',
      }),
    );
    expect([c.url, c.autoRegister]).toEqual(['https://sr:8081', false]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['not a URL', { url: 'registry:8081' }, /schemaRegistry\.url/],
    ['another scheme', { url: 'ftp://registry' }, /schemaRegistry\.url: the scheme/],
    ['credentials in the URL', { url: 'http://u:p@registry' }, /not in the URL/],
    ['a password without a user', { url: 'http://r', password: 'x' }, /a password needs a username/],
    ['both password forms', { url: 'http://r', username: 'u', password: 'x', passwordFile: '/f' }, /not both/],
    ['an unknown setting', { url: 'http://r', urls: ['x'] }, /schemaRegistry\.urls: unknown setting/],
    ['a bad timeout', { url: 'http://r', timeoutMs: 0 }, /timeoutMs/],
  ])('rejects %s at startup, naming the setting', (_name, section, message) => {
    let err: unknown;
    try {
      readSchemaRegistryConfig(raw({ schemaRegistry: section }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DockguardError);
    expect((err as DockguardError).code).toBe('CONFIG_INVALID');
    expect((err as DockguardError).message).toMatch(message);
  });
});

describe('SchemaRegistryClient', () => {
  it('registers a schema under its subject with the registry media type and basic auth', async () => {
    const r = memoryRegistry();
    const client = new SchemaRegistryClient(
      config({ username: 'svc', password: 'pw', subjects: { [EVENT]: 'audit/events-value' } }),
      r.transport,
    );
    const id = await client.idOf(EVENT, V1);
    expect(id).toBe(100);
    const req = r.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('http://registry:8081/subjects/audit%2Fevents-value/versions');
    expect(req?.headers).toMatchObject({
      'Content-Type': 'application/vnd.schemaregistry.v1+json',
      Authorization: 'Basic ' + Buffer.from('svc:pw').toString('base64'),
    });
    expect(JSON.parse(JSON.parse(req?.body ?? '').schema as string)).toEqual(JSON.parse(V1));
  });

  it('asks once per subject and schema, concurrent callers included; whitespace does not make a new schema', async () => {
    const r = memoryRegistry();
    const client = new SchemaRegistryClient(config(), r.transport);
    const ids = await Promise.all([client.idOf(EVENT, V1), client.idOf(EVENT, V1), client.idOf(EVENT, `  ${V1}\n`)]);
    expect(ids).toEqual([100, 100, 100]);
    expect(await client.idOf(EVENT, JSON.stringify(JSON.parse(V1)))).toBe(100);
    expect(r.requests).toHaveLength(1);
    expect(await client.schemaOf(100)).toBe(JSON.stringify(JSON.parse(V1)));
    expect(await client.schemaOf(100)).toBe(JSON.stringify(JSON.parse(V1)));
    expect(r.requests.filter((q) => q.method === 'GET')).toHaveLength(1);
  });

  it('with autoRegister off only looks up, and an unregistered schema says what to do', async () => {
    const r = memoryRegistry();
    const client = new SchemaRegistryClient(config({ autoRegister: false }), r.transport);
    const e = await failure(client.idOf(EVENT, V1));
    expect([e.code, e.retriable]).toEqual(['SCHEMA_REGISTRY', false]);
    expect(e.message).toMatch(/not registered.*40401.*autoRegister/);
    expect(r.requests.every((q) => !q.url.endsWith('/versions'))).toBe(true);
    const id = r.preload(EVENT, V1);
    expect(await client.idOf(EVENT, V1)).toBe(id);
  });

  it.each<[string, HttpAnswer | Error, boolean, RegExp]>([
    [
      'incompatible schema (409)',
      { status: 409, body: '{"error_code":409,"message":"incompatible"}' },
      false,
      /409.*incompatible/,
    ],
    ['invalid schema (422)', { status: 422, body: '{"error_code":42201,"message":"Invalid schema"}' }, false, /42201/],
    ['unauthorised (401)', { status: 401, body: 'Unauthorized' }, false, /HTTP 401: Unauthorized/],
    ['server error (500)', { status: 500, body: '{"error_code":50001,"message":"store error"}' }, true, /50001/],
    ['overloaded (429)', { status: 429, body: '' }, true, /429/],
    ['an answer without an id', { status: 200, body: '{"version":1}' }, false, /no number "id"/],
    ['an answer that is not JSON', { status: 200, body: '<html>' }, false, /no number "id"/],
    ['unreachable', new Error('connect ECONNREFUSED'), true, /unreachable: connect ECONNREFUSED/],
  ])('%s is SCHEMA_REGISTRY with the right retriable flag, and is not cached', async (_n, answer, retriable, msg) => {
    let calls = 0;
    const client = new SchemaRegistryClient(config(), async () => {
      calls++;
      if (calls > 1) return { status: 200, body: '{"id":7}' };
      if (answer instanceof Error) throw answer;
      return answer;
    });
    const e = await failure(client.idOf(EVENT, V1));
    expect([e.code, e.retriable]).toEqual(['SCHEMA_REGISTRY', retriable]);
    expect(e.message).toMatch(msg);
    expect(await client.idOf(EVENT, V1)).toBe(7);
  });

  it('an unknown id is SCHEMA_REGISTRY (not retriable)', async () => {
    const client = new SchemaRegistryClient(config(), memoryRegistry().transport);
    const e = await failure(client.schemaOf(5));
    expect([e.code, e.retriable, e.message]).toEqual(['SCHEMA_REGISTRY', false, expect.stringMatching(/40403/)]);
  });

  it('the node transport reports a closed port as unreachable (real socket)', async () => {
    const client = new SchemaRegistryClient(config({ url: 'http://127.0.0.1:1' }), nodeTransport({ timeoutMs: 2000 }));
    const e = await failure(client.schemaOf(1));
    expect([e.code, e.retriable]).toEqual(['SCHEMA_REGISTRY', true]);
    expect(e.message).toMatch(/127\.0\.0\.1:1 unreachable/);
  });
});

describe('codec with a schema registry', () => {
  /** An audit event as schema v1 wrote it (the catalogue codec, id 1). */
  const v1Event = {
    timestamp: 1,
    event: { id: 'e', action: 'container-create', outcome: 'success' },
    collector: { id: 'c', mode: 'authz' },
    host: { name: 'h' },
    source: { ip: null, port: null },
    tls: null,
    user: { name: null },
    user_agent: { original: null },
    http: { request: { method: 'POST', body: { bytes: 0 } }, response: { status_code: 201 } },
    url: { original: '/containers/create', path: '/containers/create', query: null },
    container: { id: null, name: null, image: { name: 'alpine' } },
    process: { args: [], command_line: null },
    dockguard: {
      endpoint: '/containers/create',
      api_version: null,
      request: { body: null, body_complete: true },
      decision: { allowed: true, rule: null, reason: null },
      container: null,
    },
  };
  const v1Codec = new AvroCodec(
    BUILTIN_SCHEMAS.filter((s) => s.id === 1),
    AVRO_DIR,
  );
  /** The same event in the current schema (new fields defaulted). */
  const event = new AvroCodec().decode(EVENT, v1Codec.encode(EVENT, v1Event));

  it('registers the current schemas at startup and frames records with the registry ids', async () => {
    const r = memoryRegistry();
    const codec = await createCodec(raw({ schemaRegistry: { url: 'http://registry:8081' } }), r.transport);
    const subjects = new Set(BUILTIN_SCHEMAS.map((s) => s.subject));
    expect(r.requests.filter((q) => q.url.endsWith('/versions'))).toHaveLength(subjects.size);
    const id = codec.idOf(EVENT);
    expect(id).toBeGreaterThanOrEqual(100);
    const buf = codec.encode(EVENT, event);
    expect(buf.readUInt32BE(1)).toBe(id);
    expect(codec.decode(EVENT, buf)).toEqual(event);
  });

  it('decodeAsync fetches an unknown writer schema once (an older producer) and resolves it to the current one', async () => {
    const r = memoryRegistry();
    const oldId = r.preload(EVENT, V1);
    const codec = await createCodec(raw({ schemaRegistry: { url: 'http://registry:8081' } }), r.transport);
    // a record another producer wrote with v1 under the registry's id
    const v1Record = v1Codec.encode(EVENT, v1Event);
    v1Record.writeUInt32BE(oldId, 1);
    expect(() => codec.decode(EVENT, v1Record)).toThrow(/unknown schema id/);
    const decoded = (await codec.decodeAsync(EVENT, v1Record)) as { dockguard: { exec: unknown; query: unknown } };
    expect(decoded).toMatchObject({ event: { id: 'e' }, container: { image: { name: 'alpine' } } });
    expect([decoded.dockguard.exec, decoded.dockguard.query]).toEqual([null, {}]);
    await codec.decodeAsync(EVENT, v1Record);
    expect(r.requests.filter((q) => q.method === 'GET')).toHaveLength(1);
  });

  it('a registry id whose schema is not Avro is SCHEMA_REGISTRY, an id the registry lacks too', async () => {
    const r = memoryRegistry();
    const codec = await createCodec(raw({ schemaRegistry: { url: 'http://registry:8081' } }), async (req) =>
      req.method === 'GET' && req.url.endsWith('/schemas/ids/1')
        ? { status: 200, body: '{"schema":"{\\"type\\":\\"nonsense\\"}"}' }
        : r.transport(req),
    );
    const buf = codec.encode(EVENT, event);
    buf.writeUInt32BE(1, 1);
    expect((await failure(codec.decodeAsync(EVENT, buf))).code).toBe('SCHEMA_REGISTRY');
    buf.writeUInt32BE(4242, 1);
    expect((await failure(codec.decodeAsync(EVENT, buf))).code).toBe('SCHEMA_REGISTRY');
  });

  it('prefetch fetches the unknown writer schemas of a batch once, so that sync decode follows; a registry outage is retriable', async () => {
    const r = memoryRegistry();
    const oldId = r.preload(EVENT, V1);
    let down = false;
    const codec = await createCodec(raw({ schemaRegistry: { url: 'http://registry:8081' } }), async (req) => {
      if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return r.transport(req);
    });
    const v1Record = v1Codec.encode(EVENT, v1Event);
    v1Record.writeUInt32BE(oldId, 1);
    const unknown = Buffer.from(v1Record);
    unknown.writeUInt32BE(4242, 1);
    const current = codec.encode(EVENT, event);
    down = true;
    const outage = await failure(codec.prefetch([v1Record, current]));
    expect([outage.code, outage.retriable]).toEqual(['SCHEMA_REGISTRY', true]);
    down = false;
    await codec.prefetch([v1Record, v1Record, current, unknown, null, Buffer.from('not framed')]);
    expect(codec.decode(EVENT, v1Record)).toMatchObject({ event: { id: 'e' } });
    expect(() => codec.decode(EVENT, unknown)).toThrow(/unknown schema id/);
    const gets = r.requests.filter((q) => q.method === 'GET').map((q) => q.url);
    expect(gets.filter((u) => u.endsWith(`/schemas/ids/${oldId}`))).toHaveLength(1);
    // nothing to fetch without a registry
    await new AvroCodec().prefetch([unknown]);
  });

  it('a registry that refuses the schema stops startup with its reason', async () => {
    const e = await failure(
      createCodec(raw({ schemaRegistry: { url: 'http://registry:8081' } }), async () => ({
        status: 409,
        body: '{"error_code":409,"message":"Schema being registered is incompatible with an earlier schema"}',
      })),
    );
    expect([e.code, e.message]).toEqual(['SCHEMA_REGISTRY', expect.stringMatching(/incompatible with an earlier/)]);
  });
});
