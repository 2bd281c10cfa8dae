import * as avro from 'avsc';
import * as fs from 'fs';
import * as path from 'path';
import { DockguardError } from '../../detectors/errors';
import { AvroCodec, BUILTIN_SCHEMAS } from './avro-codec';

const AVRO_DIR = path.resolve(__dirname, '../../schemas/avro');
const SUBJECT = 'dockguard.docker-api-event';

function schemaOf(file: string): avro.Type {
  return avro.Type.forSchema(JSON.parse(fs.readFileSync(path.join(AVRO_DIR, file), 'utf8')) as avro.Schema);
}

const event = {
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
    container: null,
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

  it('frames records with magic byte and schema id, and decodes them back', () => {
    const buf = codec.encode(SUBJECT, event);
    expect(buf.readUInt8(0)).toBe(0);
    expect(buf.readUInt32BE(1)).toBe(1);
    expect(codec.decode(SUBJECT, buf)).toEqual(event);
  });

  it('a value that does not match the schema is EVENT_INVALID, naming the field', () => {
    expect(code(() => codec.encode(SUBJECT, { ...event, timestamp: 'now' }))).toBe('EVENT_INVALID');
    expect(() => codec.encode(SUBJECT, { ...event, timestamp: 'now' })).toThrow(/timestamp/);
  });

  it('malformed frames are EVENT_INVALID, never a crash', () => {
    const good = codec.encode(SUBJECT, event);
    const unknownId = Buffer.from(good);
    unknownId.writeUInt32BE(999, 1);
    const badMagic = Buffer.from(good);
    badMagic.writeUInt8(7, 0);
    for (const bad of [Buffer.alloc(0), Buffer.from([0, 0, 0]), badMagic, unknownId, good.subarray(0, 20)])
      expect(code(() => codec.decode(SUBJECT, bad))).toBe('EVENT_INVALID');
  });

  it('the current schema is the newest released version (a change needs a new catalogue entry)', () => {
    const newest = [...BUILTIN_SCHEMAS].filter((s) => s.subject === SUBJECT).sort((a, b) => b.id - a.id)[0];
    expect(newest).toBeDefined();
    expect(schemaOf('docker-api-event.avsc').equals(schemaOf(newest!.file))).toBe(true);
  });

  it('every released version can be read with the current schema (backward compatibility)', () => {
    const current = schemaOf('docker-api-event.avsc');
    for (const s of BUILTIN_SCHEMAS.filter((x) => x.subject === SUBJECT))
      expect(() => current.createResolver(schemaOf(s.file))).not.toThrow();
  });
});
