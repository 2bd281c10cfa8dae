/** `npm run schemas:types`: regenerates schemas/generated/*.ts from schemas/avro/*.avsc. */
import * as fs from 'fs';
import * as path from 'path';
import { avroToTs } from './avro-to-ts';

export const AVRO_DIR = path.join(__dirname, 'avro');
export const GENERATED_DIR = path.join(__dirname, 'generated');

export function generatedFiles(): Array<{ file: string; text: string }> {
  return fs
    .readdirSync(AVRO_DIR)
    .filter((f) => f.endsWith('.avsc'))
    .sort()
    .map((f) => ({
      file: path.join(GENERATED_DIR, f.replace(/\.avsc$/, '.ts')),
      text: avroToTs(JSON.parse(fs.readFileSync(path.join(AVRO_DIR, f), 'utf8')), `schemas/avro/${f}`),
    }));
}

if (require.main === module) {
  fs.mkdirSync(GENERATED_DIR, { recursive: true });
  for (const g of generatedFiles()) {
    fs.writeFileSync(g.file, g.text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), g.file)}\n`);
  }
}
