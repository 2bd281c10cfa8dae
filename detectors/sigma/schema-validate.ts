/**
 * Validate stage: each document against the official Sigma JSON schema of its
 * kind (rule, correlation, filter), vendored in schemas/sigma/ (public domain).
 * Schema errors are reported at the position of the offending key or value.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import correlationSchema from '../../schemas/sigma/sigma-correlation-rules-schema.json';
import ruleSchema from '../../schemas/sigma/sigma-detection-rule-schema.json';
import filterSchema from '../../schemas/sigma/sigma-filters-schema.json';
import type { YamlPath } from './yaml-source';

export type DocumentKind = 'rule' | 'correlation' | 'filter';

let validators: Record<DocumentKind, ValidateFunction> | undefined;

function compileValidators(): Record<DocumentKind, ValidateFunction> {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const strip = (s: object): object => {
    const { $schema: _ignored, ...rest } = s as Record<string, unknown>;
    return rest;
  };
  return {
    rule: ajv.compile(strip(ruleSchema)),
    correlation: ajv.compile(strip(correlationSchema)),
    filter: ajv.compile(strip(filterSchema)),
  };
}

export interface SchemaProblem {
  path: YamlPath;
  message: string;
}

function pointerToPath(pointer: string): YamlPath {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(e: ErrorObject): string {
  const where = e.instancePath || '/';
  switch (e.keyword) {
    case 'required':
      return `missing required field "${String((e.params as { missingProperty: string }).missingProperty)}"`;
    case 'enum':
    case 'const':
    case 'oneOf':
      return `${where}: value is not one of the allowed values`;
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

/**
 * Validates `doc`. The rules specification allows a list of conditions although
 * the rule schema types `condition` as a string; a list of strings is accepted.
 */
export function validateDocument(kind: DocumentKind, doc: Record<string, unknown>): SchemaProblem[] {
  validators ??= compileValidators();
  const validate = validators[kind];
  let subject: unknown = doc;
  const det = doc['detection'];
  if (
    kind === 'rule' &&
    det &&
    typeof det === 'object' &&
    Array.isArray((det as Record<string, unknown>)['condition'])
  ) {
    const cond = (det as Record<string, unknown>)['condition'] as unknown[];
    if (cond.every((c) => typeof c === 'string'))
      subject = { ...doc, detection: { ...(det as object), condition: cond.join(' or ') } };
  }
  if (validate(subject)) return [];
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  for (const e of validate.errors ?? []) {
    // anyOf/oneOf report every branch; one message per location and keyword is enough
    if (e.keyword === 'anyOf' || e.keyword === 'if') continue;
    const path = pointerToPath(e.instancePath);
    const message = describe(e);
    const key = e.instancePath + '|' + message;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  if (out.length === 0) out.push({ path: [], message: 'document does not match the Sigma schema' });
  return out;
}
