import * as avro from 'avsc';
import * as fs from 'fs';
import * as path from 'path';
import { DockguardError } from '../../detectors/errors';
import { resolveRaw } from '../../detectors/sigma/event-context';
import { AvroCodec, BUILTIN_SCHEMAS } from './avro-codec';
import { projectSchema } from './avro-projection';

const AVRO_DIR = path.resolve(__dirname, '../../schemas/avro');
const EVENT = 'dockguard.docker-api-event';
const codec = new AvroCodec();
const newestFile = [...BUILTIN_SCHEMAS].filter((s) => s.subject === EVENT).sort((a, b) => b.id - a.id)[0]!.file;
const eventType = avro.Type.forSchema(
  JSON.parse(fs.readFileSync(path.join(AVRO_DIR, newestFile), 'utf8')) as avro.Schema,
);

/** Every dotted path of the schema a detector could name: record fields, through arrays and unions (maps end a path). */
function schemaPaths(type: avro.Type, prefix = '', seen = new Set<avro.Type>(), out: string[] = []): string[] {
  const t = type as avro.Type & {
    fields?: { name: string; type: avro.Type }[];
    types?: avro.Type[];
    itemsType?: avro.Type;
  };
  if (t.types) for (const b of t.types) schemaPaths(b, prefix, seen, out);
  else if (t.itemsType) schemaPaths(t.itemsType, prefix, seen, out);
  else if (t.fields && !seen.has(type)) {
    seen.add(type);
    for (const f of t.fields) {
      const p = prefix ? `${prefix}.${f.name}` : f.name;
      out.push(p);
      schemaPaths(f.type, p, seen, out);
    }
    seen.delete(type);
  }
  return out;
}

const PATHS = [...new Set(schemaPaths(eventType))];

/** A small deterministic generator (the same cases every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function read(event: unknown, field: string): unknown[] | undefined {
  return resolveRaw(event, field, field.split('.'));
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof DockguardError ? e.code : `not a DockguardError: ${String(e)}`;
  }
  return 'no error';
}

describe('Avro projection (decode only the fields read)', () => {
  it('the schema has paths at several depths, through arrays, unions and a named type used twice', () => {
    expect(PATHS).toContain('dockguard.container.mounts.source');
    expect(PATHS).toContain('dockguard.service.mounts.source');
    expect(PATHS.length).toBeGreaterThan(100);
  });

  it('every projected field reads exactly as in the whole event, for random events and random field sets', () => {
    const next = rng(7);
    let compared = 0;
    for (let trial = 0; trial < 60; trial++) {
      const fields = new Set<string>();
      const n = 1 + Math.floor(next() * 12);
      while (fields.size < n) fields.add(PATHS[Math.floor(next() * PATHS.length)]!);
      const projection = codec.projection(EVENT, fields);
      for (let i = 0; i < 10; i++) {
        const framed = codec.encode(EVENT, eventType.random());
        const whole = codec.decode(EVENT, framed);
        const cut = projection.decode(framed);
        for (const f of fields) {
          expect({ f, v: read(cut, f) }).toEqual({ f, v: read(whole, f) });
          compared++;
        }
        // a path kept whole keeps everything below it
        for (const p of PATHS)
          if ([...fields].some((f) => p.startsWith(`${f}.`))) expect(read(cut, p)).toEqual(read(whole, p));
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('skips what is not asked for: the cut event has fewer keys, and the unread top-level fields are absent', () => {
    const framed = codec.encode(EVENT, eventType.random());
    const cut = codec.projection(EVENT, new Set(['source.ip', 'dockguard.endpoint'])).decode(framed) as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(cut).sort()).toEqual(['dockguard', 'source']);
    expect(Object.keys(cut['source']!)).toEqual(['ip']);
    expect(Object.keys(cut['dockguard']!)).toEqual(['endpoint']);
  });

  it('a named type defined in a field that is cut is defined where it is still used', () => {
    const schema = projectSchema(eventType.schema({ exportAttrs: true }) as never, ['dockguard.service.mounts.source']);
    const text = JSON.stringify(schema);
    expect(text).toContain('"name":"io.dockguard.Mount"');
    expect(() => avro.Type.forSchema(schema as avro.Schema)).not.toThrow();
  });

  it('a map is kept whole: its keys are data', () => {
    const ev = eventType.random() as unknown as { dockguard: { query: Record<string, string> } };
    ev.dockguard.query = { fromImage: 'alpine', tag: 'latest' };
    const cut = codec.projection(EVENT, new Set(['dockguard.query.fromImage'])).decode(codec.encode(EVENT, ev));
    expect(read(cut, 'dockguard.query')).toEqual([{ fromImage: 'alpine', tag: 'latest' }]);
  });

  it('records of every released writer version decode through a projection', () => {
    const fields = new Set(['source.ip', 'dockguard.container.binds', 'dockguard.anomalies', 'event.id']);
    const projection = codec.projection(EVENT, fields);
    for (const s of BUILTIN_SCHEMAS.filter((x) => x.subject === EVENT)) {
      const writer = avro.Type.forSchema(
        JSON.parse(fs.readFileSync(path.join(AVRO_DIR, s.file), 'utf8')) as avro.Schema,
      );
      const old = new AvroCodec(
        BUILTIN_SCHEMAS.filter((x) => x.id <= s.id),
        AVRO_DIR,
      );
      for (let i = 0; i < 20; i++) {
        const framed = old.encode(EVENT, writer.random());
        const whole = codec.decode(EVENT, framed);
        const cut = projection.decode(framed);
        for (const f of fields) expect(read(cut, f)).toEqual(read(whole, f));
      }
    }
  });

  it('malformed frames and truncated bodies are EVENT_INVALID, as for the whole decode', () => {
    const projection = codec.projection(EVENT, new Set(['source.ip']));
    const good = codec.encode(EVENT, eventType.random());
    const unknownId = Buffer.from(good);
    unknownId.writeUInt32BE(999, 1);
    const badMagic = Buffer.from(good);
    badMagic.writeUInt8(7, 0);
    for (const bad of [Buffer.alloc(0), Buffer.from([0, 0, 0]), badMagic, unknownId, good.subarray(0, 6)])
      expect(code(() => projection.decode(bad))).toBe('EVENT_INVALID');
    // cut anywhere: the skipped fields' lengths still have to fit the record
    for (let end = 5; end < good.length; end += Math.max(1, Math.floor(good.length / 40)))
      expect(code(() => projection.decode(good.subarray(0, end)))).toBe(
        code(() => codec.decode(EVENT, good.subarray(0, end))),
      );
  });

  it('no field set (null) decodes the whole event', () => {
    const framed = codec.encode(EVENT, eventType.random());
    expect(codec.projection(EVENT, null).decode(framed)).toEqual(codec.decode(EVENT, framed));
  });
});
