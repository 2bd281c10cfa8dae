/**
 * Avro with the Confluent wire format: a zero magic byte, the 4-byte big-endian
 * schema id, then the Avro binary body. Schema ids come from a schema registry
 * when one is configured (later) or from the built-in catalogue below, whose
 * ids never change: a record written today must decode next year.
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

export class AvroCodec {
  private readonly byId = new Map<number, avro.Type>();
  private readonly latest = new Map<string, { id: number; type: avro.Type }>();
  private readonly resolvers = new Map<string, avro.Resolver>();

  constructor(schemas = BUILTIN_SCHEMAS, dir = AVRO_DIR) {
    for (const s of schemas) {
      const type = avro.Type.forSchema(JSON.parse(fs.readFileSync(path.join(dir, s.file), 'utf8')) as avro.Schema);
      this.byId.set(s.id, type);
      const cur = this.latest.get(s.subject);
      if (!cur || cur.id < s.id) this.latest.set(s.subject, { id: s.id, type });
    }
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
    const errors: string[] = [];
    if (!l.type.isValid(value, { errorHook: (p) => errors.push(p.join('.') || '(root)') }))
      throw new DockguardError({
        stage: 'runtime',
        code: 'EVENT_INVALID',
        message: `value does not match schema ${subject} (id ${l.id}) at ${errors.slice(0, 5).join(', ')}`,
      });
    const body = l.type.toBuffer(value);
    const header = Buffer.alloc(5);
    header.writeUInt8(MAGIC, 0);
    header.writeUInt32BE(l.id, 1);
    return Buffer.concat([header, body]);
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
