/**
 * TypeScript types from Avro schemas, so the code's types cannot drift from the
 * wire format: `npm run schemas:types` writes schemas/generated/, and a test fails
 * when the committed file differs from what the schema generates.
 *
 * Mapping: record → interface (named after the record), enum → union of string
 * literals, ["null", T] → T | null, array → T[], map → Record<string, T>,
 * int/long/float/double → number, boolean → boolean, string → string,
 * bytes → Buffer.
 */

type Schema = string | Schema[] | { [k: string]: unknown };

interface Ctx {
  decls: Map<string, string>;
}

function shortName(name: string): string {
  return name.split('.').pop() as string;
}

function typeOf(s: Schema, ctx: Ctx): string {
  if (typeof s === 'string') {
    switch (s) {
      case 'null':
        return 'null';
      case 'boolean':
        return 'boolean';
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'string':
        return 'string';
      case 'bytes':
        return 'Buffer';
      default:
        return shortName(s); // a named type defined earlier
    }
  }
  if (Array.isArray(s)) return s.map((x) => typeOf(x, ctx)).join(' | ');
  const t = s['type'] as Schema;
  switch (t) {
    case 'record': {
      const name = shortName(s['name'] as string);
      const fields = s['fields'] as Array<{ name: string; type: Schema; doc?: string }>;
      const lines: string[] = [];
      if (typeof s['doc'] === 'string') lines.push(`/** ${s['doc']} */`);
      lines.push(`export interface ${name} {`);
      for (const f of fields) {
        if (f.doc) lines.push(`  /** ${f.doc} */`);
        lines.push(`  ${f.name}: ${typeOf(f.type, ctx)};`);
      }
      lines.push('}');
      ctx.decls.set(name, lines.join('\n'));
      return name;
    }
    case 'enum': {
      const name = shortName(s['name'] as string);
      ctx.decls.set(name, `export type ${name} = ${(s['symbols'] as string[]).map((x) => `'${x}'`).join(' | ')};`);
      return name;
    }
    case 'array':
      return `Array<${typeOf(s['items'] as Schema, ctx)}>`;
    case 'map':
      return `Record<string, ${typeOf(s['values'] as Schema, ctx)}>`;
    default:
      return typeOf(t, ctx); // { "type": "long", "logicalType": ... } and the like
  }
}

/** The TypeScript source for `schema` (declarations in dependency order). */
export function avroToTs(schema: Schema, source: string): string {
  const ctx: Ctx = { decls: new Map() };
  typeOf(schema, ctx);
  const header = `// Generated from ${source} by schemas/avro-to-ts.ts (npm run schemas:types). Do not edit.\n`;
  return header + '\n' + [...ctx.decls.values()].join('\n\n') + '\n';
}
