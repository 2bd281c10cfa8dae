/**
 * The codec every service uses, chosen by configuration: with `schemaRegistry.url`
 * set, ids come from that registry (the current schemas are registered or looked
 * up at startup, so a registry that refuses them stops the service there, with the
 * registry's reason); without it, the built-in catalogue.
 */
import { readSchemaRegistryConfig, SchemaRegistryClient, type HttpTransport } from '../adapters/schema-registry';
import type { RawConfig } from '../config/config';
import { AvroCodec } from './avro-codec';

export async function createCodec(config: RawConfig, transport?: HttpTransport): Promise<AvroCodec> {
  const sr = readSchemaRegistryConfig(config);
  if (sr.url === '') return new AvroCodec();
  return AvroCodec.withRegistry(new SchemaRegistryClient(sr, transport));
}
