/** The audit index's field types and multi-valued fields, read from the installed schemas (for the rules export). */
import * as fs from 'fs';
import * as path from 'path';
import { arrayPaths, leafFields, nullablePaths, type Mapping } from './avro-to-mapping';

function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'schemas', 'elasticsearch', 'dockguard-audit-mappings.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`schemas/elasticsearch not found above ${__dirname}`);
  }
}

export function auditFieldTypes(): Map<string, string> {
  const file = path.join(findRoot(), 'schemas', 'elasticsearch', 'dockguard-audit-mappings.json');
  const ct = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    template: { mappings: { properties: Record<string, Mapping> } };
  };
  return leafFields(ct.template.mappings.properties);
}

export function auditMultiValued(): Set<string> {
  const file = path.join(findRoot(), 'schemas', 'avro', 'docker-api-event.avsc');
  return arrayPaths(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>);
}

export function auditNullable(): Set<string> {
  const file = path.join(findRoot(), 'schemas', 'avro', 'docker-api-event.avsc');
  return nullablePaths(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>);
}

/** What the rules export needs to know of the audit index: field types, multi-valued and nullable fields. */
export function auditExportOptions(): {
  fieldTypes: Map<string, string>;
  multiValued: Set<string>;
  nullable: Set<string>;
} {
  return { fieldTypes: auditFieldTypes(), multiValued: auditMultiValued(), nullable: auditNullable() };
}
