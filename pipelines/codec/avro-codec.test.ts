import * as avro from 'avsc';
import * as fs from 'fs';
import * as path from 'path';
import { DockguardError } from '../../detectors/errors';
import { AvroCodec, BUILTIN_SCHEMAS } from './avro-codec';

const AVRO_DIR = path.resolve(__dirname, '../../schemas/avro');
const EVENT = 'dockguard.docker-api-event';
/** Every subject of the catalogue; its current schema is schemas/avro/<subject without prefix>.avsc. */
const SUBJECTS = [...new Set(BUILTIN_SCHEMAS.map((s) => s.subject))];
const currentFile = (subject: string): string => `${subject.replace(/^dockguard\./, '')}.avsc`;

function schemaOf(file: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(fs.readFileSync(path.join(AVRO_DIR, file), 'utf8')) as avro.Schema);
}

function newest(subject: string): { id: number; file: string } {
  const n = [...BUILTIN_SCHEMAS].filter((s) => s.subject === subject).sort((a, b) => b.id - a.id)[0];
  if (!n) throw new Error(`no catalogue entry for ${subject}`);
  return n;
}

/** An audit event as the first schema version (id 1) wrote it. */
const eventV1 = {
  timestamp: 1795860069000,
  event: { id: 'e1', action: 'container-create', outcome: 'success' },
  collector: { id: 'c1', mode: 'proxy' },
  host: { name: 'docker-01' },
  source: { ip: '203.0.113.7', port: 40126 },
  tls: null,
  user: { name: null },
  user_agent: { original: null },
  http: { request: { method: 'POST', body: { bytes: 10 } }, response: { status_code: 201 } },
  url: { original: '/v1.41/containers/create', path: '/containers/create', query: null },
  container: { id: null, name: null, image: { name: 'alpine' } },
  process: { args: ['sh'], command_line: 'sh' },
  dockguard: {
    endpoint: '/containers/create',
    api_version: '1.41',
    request: { body: null, body_complete: true },
    decision: { allowed: true, rule: null, reason: null },
    container: {
      entrypoint: [],
      cmd: ['sh'],
      binds: ['/:/mnt'],
      mounts: [],
      privileged: true,
      cap_add: ['SYS_ADMIN'],
      devices: [],
      pid_mode: 'host',
      ipc_mode: null,
      network_mode: null,
      userns_mode: null,
      security_opt: [],
      user: null,
      env_names: [],
      restart_policy: null,
    },
  },
};

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof DockguardError ? e.code : `not a DockguardError: ${String(e)}`;
  }
  return 'no error';
}

describe('Avro codec (Confluent wire format)', () => {
  const codec = new AvroCodec();

  it('the catalogue has unique ids and covers the event and the finding', () => {
    expect(new Set(BUILTIN_SCHEMAS.map((s) => s.id)).size).toBe(BUILTIN_SCHEMAS.length);
    expect(SUBJECTS).toEqual(expect.arrayContaining([EVENT, 'dockguard.finding']));
  });

  describe.each(SUBJECTS)('%s', (subject) => {
    const type = schemaOf(currentFile(subject));

    it('frames records with magic byte and the newest schema id, and decodes them back', () => {
      for (let i = 0; i < 50; i++) {
        const value = type.random();
        const buf = codec.encode(subject, value);
        expect(buf.readUInt8(0)).toBe(0);
        expect(buf.readUInt32BE(1)).toBe(newest(subject).id);
        // byte equality of the re-encoded value: random values hold NaN and maps, which toEqual/compare mishandle
        expect(type.toBuffer(codec.decode(subject, buf)).equals(type.toBuffer(value))).toBe(true);
      }
    });

    it('decoded records enumerate their fields only (for…in sees what Object.keys sees), methods still there', () => {
      const forIn = (o: object): string[] => {
        const keys: string[] = [];
        for (const k in o) keys.push(k);
        return keys;
      };
      let records = 0;
      const walk = (v: unknown): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
          expect(forIn(v)).toEqual(Object.keys(v));
          if (typeof (v as { clone?: unknown }).clone === 'function') records++;
          Object.values(v).forEach(walk);
        }
      };
      for (let i = 0; i < 20; i++) walk(codec.decode(subject, codec.encode(subject, type.random())));
      // the decoded values are avsc records (with their methods), not copies
      expect(records).toBeGreaterThan(20);
    });

    it('values larger than the scratch buffer, and small ones after them, encode exactly as avsc does', () => {
      const fresh = new AvroCodec();
      const values = Array.from({ length: 20 }, () => type.random());
      // a string field (the first one, through nested records) blown up past the
      // 64 KiB scratch, twice its size, then back to small values
      const big = type.clone(values[0]) as Record<string, unknown>;
      const enlarge = (t: avro.Type, v: Record<string, unknown>): boolean => {
        for (const f of (t as avro.types.RecordType).fields) {
          if (f.type.typeName === 'string') {
            v[f.name] = 'x'.repeat(150_000);
            return true;
          }
          if (f.type.typeName === 'record' && enlarge(f.type, v[f.name] as Record<string, unknown>)) return true;
        }
        return false;
      };
      expect(enlarge(type, big)).toBe(true);
      expect(type.toBuffer(big).length).toBeGreaterThan(150_000);
      for (const v of [big, ...values, big, ...values]) {
        const buf = fresh.encode(subject, v);
        expect(buf.subarray(5).equals(type.toBuffer(v))).toBe(true);
      }
    });

    it('a value that does not match the schema is EVENT_INVALID, naming the field', () => {
      const value = type.random() as unknown as Record<string, unknown>;
      const first = (type as avro.types.RecordType).fields[0]?.name;
      expect(first).toBeDefined();
      const bad = { ...value, [first!]: Symbol('not avro') };
      expect(code(() => codec.encode(subject, bad))).toBe('EVENT_INVALID');
      expect(() => codec.encode(subject, bad)).toThrow(new RegExp(first!));
    });

    it('malformed frames are EVENT_INVALID, never a crash', () => {
      const good = codec.encode(subject, type.random());
      const unknownId = Buffer.from(good);
      unknownId.writeUInt32BE(999, 1);
      const badMagic = Buffer.from(good);
      badMagic.writeUInt8(7, 0);
      for (const bad of [Buffer.alloc(0), Buffer.from([0, 0, 0]), badMagic, unknownId, good.subarray(0, 6)])
        expect(code(() => codec.decode(subject, bad))).toBe('EVENT_INVALID');
    });

    it('the current schema is the newest released version (a change needs a new catalogue entry)', () => {
      expect(type.equals(schemaOf(newest(subject).file))).toBe(true);
    });

    it('every released version can be read with the current schema (backward compatibility)', () => {
      for (const s of BUILTIN_SCHEMAS.filter((x) => x.subject === subject)) {
        const writer = schemaOf(s.file);
        expect(() => type.createResolver(writer)).not.toThrow();
        // and a record of that version decodes through the codec
        const old = new AvroCodec(
          BUILTIN_SCHEMAS.filter((x) => x.id <= s.id),
          AVRO_DIR,
        );
        const framed = old.encode(subject, writer.random());
        expect(framed.readUInt32BE(1)).toBe(s.id);
        expect(type.isValid(codec.decode(subject, framed))).toBe(true);
      }
    });
  });

  it('an audit event written with schema v1 reads as v2 with every v1 value kept and the new fields defaulted', () => {
    const v1 = new AvroCodec(
      BUILTIN_SCHEMAS.filter((x) => x.id === 1),
      AVRO_DIR,
    );
    const framed = v1.encode(EVENT, eventV1);
    expect(framed.readUInt32BE(1)).toBe(1);
    const read = codec.decode(EVENT, framed) as typeof eventV1 & {
      dockguard: { exec: unknown; image: unknown; query: unknown; anomalies: unknown; container: { tty: unknown } };
    };
    expect(read).toMatchObject(eventV1);
    expect(read.dockguard.exec).toBeNull();
    expect(read.dockguard.image).toBeNull();
    expect(read.dockguard.query).toEqual({});
    expect(read.dockguard.anomalies).toEqual([]);
    expect(read.dockguard.container.tty).toBe(false);
  });
});
