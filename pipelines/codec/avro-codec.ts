/**
 * Avro with the Confluent wire format: a zero magic byte, the 4-byte big-endian
 * schema id, then the Avro binary body. Schema ids come from a schema registry
 * when one is configured (`AvroCodec.withRegistry`, see create-codec.ts) or from
 * the built-in catalogue below, whose ids never change: a record written today
 * must decode next year.
 *
 * The two id spaces are not interchangeable: id 1 of a registry is whatever was
 * registered first there. Switching a running installation from the catalogue to
 * a registry (or back) therefore needs new topics, or a registry whose ids were
 * imported to match the catalogue.
 */
import * as avro from 'avsc';
import * as fs from 'fs';
import * as path from 'path';
import { DockguardError } from '../../detectors/errors';

/** schemas/avro of this installation, whether running from the sources or from dist/. */
function findAvroDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'schemas', 'avro');
    if (fs.existsSync(path.join(candidate, 'docker-api-event.avsc'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`schemas/avro not found above ${__dirname}`);
  }
}

const AVRO_DIR = findAvroDir();

/** Built-in catalogue: id → schema file (the current version and the history). Append only. */
export const BUILTIN_SCHEMAS: ReadonlyArray<{ id: number; subject: string; file: string }> = [
  { id: 1, subject: 'dockguard.docker-api-event', file: 'history/docker-api-event.v1.avsc' },
  { id: 2, subject: 'dockguard.finding', file: 'history/finding.v1.avsc' },
  { id: 3, subject: 'dockguard.docker-api-event', file: 'history/docker-api-event.v2.avsc' },
];

export const MAGIC = 0;
/** Magic byte and 4-byte schema id. */
const HEADER_BYTES = 5;

/** Where ids come from when a schema registry is configured (pipelines/adapters/schema-registry.ts). */
export interface SchemaResolver {
  /** The registry id of `schema` (Avro JSON text) under `subject`. */
  idOf(subject: string, schema: string): Promise<number>;
  /** The schema text a registry id stands for. */
  schemaOf(id: number): Promise<string>;
}

/**
 * avsc decodes records into instances of generated classes whose prototypes carry
 * enumerable methods (clone, compare, isValid, toBuffer, toString, wrap, wrapped).
 * Every `for…in` over a decoded event (the Sigma engine's field walk, keyword
 * search, intel) then visits those seven names on each nested record, and V8 leaves
 * its fast for-in path for objects whose prototype has enumerable properties. The
 * methods stay callable; they are only made non-enumerable, so a decoded record
 * enumerates exactly its fields, like the JSON object it stands for.
 */
function plainRecords(type: avro.Type, seen = new Set<avro.Type>()): avro.Type {
  if (seen.has(type)) return type;
  seen.add(type);
  const t = type as avro.Type & {
    fields?: Array<{ type: avro.Type }>;
    types?: avro.Type[];
    itemsType?: avro.Type;
    valuesType?: avro.Type;
    underlyingType?: avro.Type;
    recordConstructor?: { prototype: object };
  };
  if (t.typeName === 'record' || t.typeName === 'error') {
    const proto = t.recordConstructor?.prototype;
    if (proto) for (const key of Object.keys(proto)) Object.defineProperty(proto, key, { enumerable: false });
  }
  for (const f of t.fields ?? []) plainRecords(f.type, seen);
  for (const u of t.types ?? []) plainRecords(u, seen);
  if (t.itemsType) plainRecords(t.itemsType, seen);
  if (t.valuesType) plainRecords(t.valuesType, seen);
  if (t.underlyingType) plainRecords(t.underlyingType, seen);
  return type;
}

/** `avro.Type.forSchema` whose decoded records enumerate their fields only (see plainRecords). */
function typeFor(schema: unknown): avro.Type {
  return plainRecords(avro.Type.forSchema(schema as avro.Schema));
}

export class AvroCodec {
  private readonly byId = new Map<number, avro.Type>();
  private readonly latest = new Map<string, { id: number; type: avro.Type }>();
  private readonly resolvers = new Map<string, avro.Resolver>();
  private registry: SchemaResolver | null = null;
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(schemas = BUILTIN_SCHEMAS, dir = AVRO_DIR) {
    for (const s of schemas) {
      const type = typeFor(JSON.parse(fs.readFileSync(path.join(dir, s.file), 'utf8')));
      this.byId.set(s.id, type);
      const cur = this.latest.get(s.subject);
      if (!cur || cur.id < s.id) this.latest.set(s.subject, { id: s.id, type });
    }
  }

  /**
   * A codec whose ids come from a schema registry: the newest catalogue schema of each
   * subject is registered (or looked up) once, here, so `encode` stays synchronous;
   * writer schemas of records from elsewhere are fetched by `decodeAsync`.
   */
  static async withRegistry(registry: SchemaResolver, schemas = BUILTIN_SCHEMAS, dir = AVRO_DIR): Promise<AvroCodec> {
    const codec = new AvroCodec([], dir);
    codec.registry = registry;
    const newest = new Map<string, { id: number; file: string }>();
    for (const s of schemas) if ((newest.get(s.subject)?.id ?? -1) < s.id) newest.set(s.subject, s);
    for (const [subject, s] of newest) {
      const text = fs.readFileSync(path.join(dir, s.file), 'utf8');
      const id = await registry.idOf(subject, text);
      const type = typeFor(JSON.parse(text));
      codec.byId.set(id, type);
      codec.latest.set(subject, { id, type });
    }
    return codec;
  }

  /** The schema id `encode` writes for `subject`, or undefined when the subject is unknown. */
  idOf(subject: string): number | undefined {
    return this.latest.get(subject)?.id;
  }

  /**
   * Fetches, from the registry, the writer schemas of the framed records whose ids
   * are not known yet, so that the synchronous `decode` of a whole batch can follow.
   * An id the registry does not have is left unknown (its record's decode fails:
   * a dead letter); a registry that cannot answer rejects with a retriable error,
   * so the batch is retried rather than its records dead-lettered. Without a
   * registry there is nothing to fetch.
   */
  async prefetch(buffers: Iterable<Buffer | null>): Promise<void> {
    if (!this.registry) return;
    const missing = new Set<number>();
    for (const buf of buffers)
      if (buf && buf.length >= HEADER_BYTES && buf.readUInt8(0) === MAGIC) {
        const id = buf.readUInt32BE(1);
        if (!this.byId.has(id)) missing.add(id);
      }
    for (const id of missing) {
      try {
        await this.fetchWriter(id);
      } catch (e) {
        if (e instanceof DockguardError && e.retriable) throw e;
        // not a usable schema, or no such id: the records say so when decoded
      }
    }
  }

  /**
   * `decode`, after fetching the writer schema from the registry when its id is not
   * known yet (a record written by a newer producer, or by another tool).
   */
  async decodeAsync(subject: string, buf: Buffer): Promise<unknown> {
    if (this.registry && buf.length >= HEADER_BYTES && buf.readUInt8(0) === MAGIC) {
      const id = buf.readUInt32BE(1);
      if (!this.byId.has(id)) await this.fetchWriter(id);
    }
    return this.decode(subject, buf);
  }

  private async fetchWriter(id: number): Promise<void> {
    const text = await this.registry!.schemaOf(id);
    let type: avro.Type;
    try {
      type = typeFor(JSON.parse(text));
    } catch (e) {
      throw new DockguardError({
        stage: 'runtime',
        code: 'SCHEMA_REGISTRY',
        message: `schema id ${id} from the registry is not a usable Avro schema: ${(e as Error).message}`,
        cause: e,
      });
    }
    this.byId.set(id, type);
  }

  /** Encodes `value` with the newest schema of `subject`. */
  encode(subject: string, value: unknown): Buffer {
    const l = this.latest.get(subject);
    if (!l)
      throw new DockguardError({
        stage: 'runtime',
        code: 'EVENT_INVALID',
        message: `no schema for subject ${subject}`,
      });
    // avsc's writers check every value as they write it, so a valid event is walked
    // once; only a failure pays for a second, path-tracking walk that explains it.
    // Written into a reusable scratch buffer behind the header, then copied out once:
    // toBuffer's own 1 KiB scratch wrote a larger event twice, and the header took a
    // second allocation and copy.
    let end: number;
    try {
      for (;;) {
        end = l.type.encode(value, this.scratch, HEADER_BYTES);
        if (end >= 0) break;
        // too small: avsc returns minus the bytes missing
        this.scratch = Buffer.allocUnsafe(Math.max(2 * this.scratch.length, this.scratch.length - end));
      }
    } catch (e) {
      const errors: string[] = [];
      l.type.isValid(value, { errorHook: (p) => errors.push(p.join('.') || '(root)') });
      throw new DockguardError({
        stage: 'runtime',
        code: 'EVENT_INVALID',
        message: `value does not match schema ${subject} (id ${l.id}) at ${errors.slice(0, 5).join(', ') || (e as Error).message}`,
        cause: e,
      });
    }
    const out = Buffer.allocUnsafe(end);
    this.scratch.copy(out, HEADER_BYTES, HEADER_BYTES, end);
    out.writeUInt8(MAGIC, 0);
    out.writeUInt32BE(l.id, 1);
    return out;
  }

  /** Decodes a framed record into the newest schema of `subject` (older writers are resolved). */
  decode(subject: string, buf: Buffer): unknown {
    const fail = (message: string): never => {
      throw new DockguardError({ stage: 'runtime', code: 'EVENT_INVALID', message });
    };
    if (buf.length < 5) fail(`record of ${buf.length} bytes is shorter than the 5-byte header`);
    if (buf.readUInt8(0) !== MAGIC) fail(`unknown magic byte ${buf.readUInt8(0)}`);
    const id = buf.readUInt32BE(1);
    const writer = this.byId.get(id) ?? fail(`unknown schema id ${id}`);
    const reader = this.latest.get(subject) ?? fail(`no schema for subject ${subject}`);
    try {
      if (reader.id === id) return reader.type.fromBuffer(buf.subarray(5));
      const key = `${id}>${reader.id}`;
      let resolver = this.resolvers.get(key);
      if (!resolver) {
        resolver = reader.type.createResolver(writer);
        this.resolvers.set(key, resolver);
      }
      return reader.type.fromBuffer(buf.subarray(5), resolver);
    } catch (e) {
      return fail(`cannot decode a record of schema id ${id}: ${(e as Error).message}`);
    }
  }
}
