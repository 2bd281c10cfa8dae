/**
 * A client of a Confluent-compatible Schema Registry (Confluent, Karapace, Apicurio's
 * ccompat API, Redpanda): the ids in the Avro wire format then come from the registry,
 * so consumers outside dockguard (Kafka Connect, ksqlDB, a SIEM's Kafka input) can
 * decode our topics. Configuration section `schemaRegistry`; with no `url` the codec
 * uses its built-in catalogue and this file is not used.
 *
 *   DOCKGUARD_SCHEMA_REGISTRY__URL=https://registry.example:8081
 *
 * Three calls of the registry's REST API (v1), each answer cached for the life of the
 * process (an id never changes its schema in a registry):
 *   POST /subjects/{subject}/versions   register a schema, answer {"id": n}
 *   POST /subjects/{subject}            look a schema up without registering it
 *   GET  /schemas/ids/{id}              the schema an id stands for (decoding)
 *
 * Errors are DockguardError SCHEMA_REGISTRY; unreachable, timeouts, 5xx and 429 are
 * retriable, the rest (incompatible schema 409, invalid schema 422, unknown subject
 * or id 404, authorisation 401/403) are not: retrying cannot fix them.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { DockguardError } from '../../detectors/errors';
import type { SchemaResolver } from '../codec/avro-codec';
import { defineSection, readSection, type RawConfig } from '../config/config';

export interface SchemaRegistryConfig {
  /** Base URL, e.g. `http://registry:8081`; empty: the built-in schema catalogue. */
  url: string;
  username: string | null;
  /** Prefer passwordFile: environment variables leak into process listings. */
  password: string | null;
  passwordFile: string | null;
  /** PEM bundle to verify an https registry with; null: the system's CAs. */
  caFile: string | null;
  timeoutMs: number;
  /** False: only look schemas up (a registry where producers may not register; run `register` from CI instead). */
  autoRegister: boolean;
  /** dockguard subject → registry subject, e.g. `dockguard.docker-api-event: dockguard-audit-value`. */
  subjects: Record<string, string>;
}

export const schemaRegistrySection = defineSection<SchemaRegistryConfig>('schemaRegistry', {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', default: '', description: 'empty: use the built-in schema catalogue' },
    username: { type: ['string', 'null'], default: null },
    password: { type: ['string', 'null'], default: null },
    passwordFile: { type: ['string', 'null'], default: null },
    caFile: { type: ['string', 'null'], default: null },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 120000, default: 5000 },
    autoRegister: { type: 'boolean', default: true },
    subjects: { type: 'object', additionalProperties: { type: 'string', minLength: 1 }, default: {} },
  },
});

function configError(message: string): DockguardError {
  return new DockguardError({ stage: 'config', code: 'CONFIG_INVALID', message: `schemaRegistry.${message}` });
}

/** Reads and checks the section; a URL that cannot work fails here, naming the setting. */
export function readSchemaRegistryConfig(raw: RawConfig): SchemaRegistryConfig {
  const c = readSection(raw, schemaRegistrySection);
  if (c.url !== '') {
    let u: URL;
    try {
      u = new URL(c.url);
    } catch {
      throw configError(`url: "${c.url}" is not a URL (write http://host:8081 or https://host:8081)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw configError(`url: the scheme must be http or https, not ${u.protocol}`);
    if (u.username || u.password)
      throw configError('url: put credentials in username and password (or passwordFile), not in the URL');
  }
  if (c.password !== null && c.passwordFile !== null)
    throw configError('password: set password or passwordFile, not both');
  if ((c.password !== null || c.passwordFile !== null) && c.username === null)
    throw configError('username: a password needs a username');
  return c;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** Sends one request; rejects only when no answer came (network error, timeout). */
export type HttpTransport = (req: HttpRequest) => Promise<HttpAnswer>;

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/** node:http(s) with a timeout and an optional CA bundle. */
export function nodeTransport(opts: { timeoutMs: number; ca?: string | Buffer }): HttpTransport {
  return (req) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const u = new URL(req.url);
      const lib = u.protocol === 'https:' ? https : http;
      const r = lib.request(
        u,
        {
          method: req.method,
          headers: req.headers,
          timeout: opts.timeoutMs,
          ...(u.protocol === 'https:' && opts.ca ? { ca: opts.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_ANSWER_BYTES) r.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
            else chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      r.on('timeout', () => r.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
      r.on('error', reject);
      r.end(req.body ?? undefined);
    });
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** The registry's JSON error body: `{"error_code":40401,"message":"Subject not found."}`. */
function describeAnswer(a: HttpAnswer): string {
  try {
    const e = JSON.parse(a.body) as { error_code?: unknown; message?: unknown };
    if (typeof e.message === 'string') return `HTTP ${a.status} (${String(e.error_code ?? '?')}): ${e.message}`;
  } catch {
    // not JSON: fall through
  }
  return `HTTP ${a.status}: ${a.body.slice(0, 200)}`;
}

export class SchemaRegistryClient implements SchemaResolver {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly ids = new Map<string, Promise<number>>();
  private readonly schemas = new Map<number, Promise<string>>();

  constructor(
    private readonly config: SchemaRegistryConfig,
    private readonly transport: HttpTransport = nodeTransport({
      timeoutMs: config.timeoutMs,
      ...(config.caFile ? { ca: fs.readFileSync(config.caFile) } : {}),
    }),
  ) {
    if (config.url === '') throw configError('url: empty (no registry configured)');
    this.base = config.url.replace(/\/+$/, '');
    this.headers = { Accept: `${CONTENT_TYPE}, application/vnd.schemaregistry+json, application/json` };
    const password = config.passwordFile
      ? fs.readFileSync(config.passwordFile, 'utf8').replace(/\r?\n$/, '')
      : config.password;
    if (config.username !== null)
      this.headers['Authorization'] =
        'Basic ' + Buffer.from(`${config.username}:${password ?? ''}`, 'utf8').toString('base64');
  }

  /** The registry subject for a dockguard subject. */
  subjectFor(subject: string): string {
    return this.config.subjects[subject] ?? subject;
  }

  /**
   * The id of `schema` under `subject`: registered when autoRegister is on, else looked
   * up (a schema that is not registered is then an error that says what to do).
   */
  idOf(subject: string, schema: string): Promise<number> {
    const canonical = JSON.stringify(JSON.parse(schema));
    const key = `${subject}\u0000${canonical}`;
    return this.cached(this.ids, key, () =>
      this.config.autoRegister ? this.register(subject, canonical) : this.lookup(subject, canonical),
    );
  }

  /** The schema text registered under `id`. */
  schemaOf(id: number): Promise<string> {
    return this.cached(this.schemas, id, async () => {
      const a = await this.send({
        method: 'GET',
        url: `${this.base}/schemas/ids/${id}`,
        headers: this.headers,
        body: null,
      });
      if (a.status !== 200) throw this.failure(`schema id ${id}`, a);
      return this.field(a, 'schema', 'string', `schema id ${id}`);
    });
  }

  private async register(subject: string, schema: string): Promise<number> {
    const s = this.subjectFor(subject);
    const a = await this.send({
      method: 'POST',
      url: `${this.base}/subjects/${encodeURIComponent(s)}/versions`,
      headers: { ...this.headers, 'Content-Type': CONTENT_TYPE },
      body: JSON.stringify({ schema }),
    });
    if (a.status !== 200) throw this.failure(`registering the schema of ${s}`, a);
    return this.field(a, 'id', 'number', `registering the schema of ${s}`);
  }

  private async lookup(subject: string, schema: string): Promise<number> {
    const s = this.subjectFor(subject);
    const a = await this.send({
      method: 'POST',
      url: `${this.base}/subjects/${encodeURIComponent(s)}`,
      headers: { ...this.headers, 'Content-Type': CONTENT_TYPE },
      body: JSON.stringify({ schema }),
    });
    if (a.status === 404)
      throw new DockguardError({
        stage: 'runtime',
        code: 'SCHEMA_REGISTRY',
        message: `the current schema of ${s} is not registered (${describeAnswer(a)}); register it, or set schemaRegistry.autoRegister: true`,
      });
    if (a.status !== 200) throw this.failure(`looking up the schema of ${s}`, a);
    return this.field(a, 'id', 'number', `looking up the schema of ${s}`);
  }

  /** One request in flight per key; a failure is not cached, so the next call tries again. */
  private cached<K, V>(map: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
    let p = map.get(key);
    if (!p) {
      p = load();
      map.set(key, p);
      p.catch(() => map.delete(key));
    }
    return p;
  }

  private async send(req: HttpRequest): Promise<HttpAnswer> {
    try {
      return await this.transport(req);
    } catch (e) {
      throw new DockguardError({
        stage: 'runtime',
        code: 'SCHEMA_REGISTRY',
        message: `schema registry ${this.base} unreachable: ${(e as Error).message}`,
        retriable: true,
        cause: e,
      });
    }
  }

  private failure(what: string, a: HttpAnswer): DockguardError {
    return new DockguardError({
      stage: 'runtime',
      code: 'SCHEMA_REGISTRY',
      message: `${what}: ${describeAnswer(a)}`,
      retriable: a.status >= 500 || a.status === 429 || a.status === 408,
    });
  }

  private field<T extends 'string' | 'number'>(
    a: HttpAnswer,
    name: string,
    type: T,
    what: string,
  ): T extends 'string' ? string : number {
    let v: unknown;
    try {
      v = (JSON.parse(a.body) as Record<string, unknown>)[name];
    } catch {
      v = undefined;
    }
    const ok =
      type === 'number'
        ? typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff
        : typeof v === 'string';
    if (!ok)
      throw new DockguardError({
        stage: 'runtime',
        code: 'SCHEMA_REGISTRY',
        message: `${what}: the registry's answer has no ${type} "${name}": ${a.body.slice(0, 200)}`,
      });
    return v as T extends 'string' ? string : number;
  }
}
