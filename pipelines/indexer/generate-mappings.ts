/**
 * Writes the component templates under schemas/elasticsearch/ from the Avro
 * schemas (`npm run schemas:mappings`, or `tsx pipelines/indexer/generate-mappings.ts`).
 * The index templates next to them are written by hand: they only compose.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AUDIT_OVERRIDES, avroToProperties, FINDING_OVERRIDES } from './avro-to-mapping';

const ROOT = path.resolve(__dirname, '../..');

function readAvsc(name: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas/avro', name), 'utf8')) as Record<string, unknown>;
}

function component(description: string, properties: Record<string, unknown>): Record<string, unknown> {
  return {
    template: { mappings: { dynamic: 'strict', date_detection: false, properties } },
    _meta: { managed_by: 'dockguard', description, generated_from: 'pipelines/indexer/generate-mappings.ts' },
  };
}

/** File name under schemas/elasticsearch → its JSON text. */
export function generatedMappingFiles(): Record<string, string> {
  const findings = component(
    'ECS mapping of dockguard findings (schemas/avro/finding.avsc)',
    avroToProperties(readAvsc('finding.avsc'), FINDING_OVERRIDES),
  );
  const audit = component(
    'ECS mapping of dockguard Docker API audit events (schemas/avro/docker-api-event.avsc)',
    avroToProperties(readAvsc('docker-api-event.avsc'), AUDIT_OVERRIDES),
  );
  return {
    'dockguard-findings-mappings.json': JSON.stringify(findings, null, 2) + '\n',
    'dockguard-audit-mappings.json': JSON.stringify(audit, null, 2) + '\n',
  };
}

if (require.main === module) {
  for (const [file, text] of Object.entries(generatedMappingFiles())) {
    fs.writeFileSync(path.join(ROOT, 'schemas/elasticsearch', file), text);
    process.stdout.write(`wrote schemas/elasticsearch/${file}\n`);
  }
}
