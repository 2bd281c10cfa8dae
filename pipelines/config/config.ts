/**
 * One configuration for every service: a YAML file plus environment overrides,
 * validated at startup. Each service declares the sections it reads (a JSON
 * schema with defaults) in its own file; `readSection` validates one section and
 * names the bad setting in the error (`kafka.brokers: must be array`).
 *
 * Environment overrides: `DOCKGUARD_<SECTION>__<KEY>[__<KEY>…]` (double
 * underscores separate levels; keys are matched case-insensitively against the
 * schema's property names), e.g. `DOCKGUARD_KAFKA__BROKERS=k1:9092,k2:9092`.
 * A value is parsed as JSON when it looks like JSON (number, boolean, array,
 * object), a comma list becomes an array where the schema wants an array, and
 * anything else is a string. No default depends on NODE_ENV.
 */
import Ajv, { type ErrorObject } from 'ajv';
import * as fs from 'fs';
import * as yaml from 'js-yaml';
import { DockguardError } from '../../detectors/errors';

export type JsonSchema = Record<string, unknown>;

export interface ConfigSection<T> {
  /** Top-level key in the file, e.g. `kafka`. */
  name: string;
  /** JSON schema of the section (type object, with `default`s and additionalProperties false). */
  schema: JsonSchema;
  /** Only for typing: the validated value's type. */
  readonly _type?: T;
}

export interface RawConfig {
  /** The file it came from, for error messages; null for defaults only. */
  file: string | null;
  values: Record<string, unknown>;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, coerceTypes: 'array', strict: false });

export function defineSection<T>(name: string, schema: JsonSchema): ConfigSection<T> {
  return { name, schema };
}

/** Reads the configuration file (or nothing) and applies the environment. */
export function loadConfig(file: string | null, env: NodeJS.ProcessEnv = process.env): RawConfig {
  let values: Record<string, unknown> = {};
  if (file !== null) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new DockguardError({
        stage: 'io',
        code: 'IO_READ',
        message: `cannot read configuration file ${file}: ${(e as Error).message}`,
        cause: e,
      });
    }
    let doc: unknown;
    try {
      doc = yaml.load(text, { filename: file });
    } catch (e) {
      throw new DockguardError({
        stage: 'config',
        code: 'CONFIG_INVALID',
        message: `${file}: ${(e as Error).message}`,
        cause: e,
      });
    }
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc))
        throw configError(file, '', 'the configuration file must be a mapping of sections');
      values = doc as Record<string, unknown>;
    }
  }
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('DOCKGUARD_') || !k.includes('__') || v === undefined) continue;
    const pathParts = k.slice('DOCKGUARD_'.length).split('__').filter(Boolean);
    if (pathParts.length < 2) continue;
    setLoose(values, pathParts, v);
  }
  return { file, values };
}

/** Validates and returns one section, defaults filled in. */
export function readSection<T>(raw: RawConfig, section: ConfigSection<T>): T {
  const value = structuredClone(raw.values[section.name] ?? {}) as unknown;
  alignKeys(value, section.schema);
  splitCommaLists(value, section.schema);
  const validate = ajv.compile(section.schema);
  if (!validate(value)) {
    const errors = (validate.errors ?? []).map((e) => describe(section.name, e));
    throw configError(raw.file, section.name, errors.join('; '));
  }
  return value as T;
}

function describe(sectionName: string, e: ErrorObject): string {
  const where = [sectionName, ...e.instancePath.split('/').filter(Boolean)].join('.');
  if (e.keyword === 'additionalProperties')
    return `${where}.${String((e.params as { additionalProperty: string }).additionalProperty)}: unknown setting`;
  return `${where}: ${e.message ?? 'invalid'}`;
}

function configError(file: string | null, where: string, message: string): DockguardError {
  return new DockguardError({
    stage: 'config',
    code: 'CONFIG_INVALID',
    message: `${file ?? 'configuration'}${where ? ` (${where})` : ''}: ${message}`,
  });
}

/** Sets values.a.b.c from an environment variable, matching existing keys case-insensitively. */
function setLoose(values: Record<string, unknown>, parts: string[], raw: string): void {
  let obj = values;
  for (let i = 0; i < parts.length; i++) {
    const wanted = parts[i]!.toLowerCase().replace(/_/g, '');
    const existing = Object.keys(obj).find((k) => k.toLowerCase().replace(/[_-]/g, '') === wanted);
    const key = existing ?? camel(parts[i]!);
    if (i === parts.length - 1) {
      obj[key] = parseEnvValue(raw);
      return;
    }
    const next = obj[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) obj[key] = {};
    obj = obj[key] as Record<string, unknown>;
  }
}

function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function parseEnvValue(raw: string): unknown {
  const t = raw.trim();
  if (/^(-?\d+(\.\d+)?|true|false|null|\[.*\]|\{.*\})$/s.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return raw;
    }
  }
  return raw;
}

/**
 * An environment override names a setting in UPPER_SNAKE case (`HOST_NAME`,
 * `HOSTNAME`): a key that is not a property of the schema but equals one when
 * letter case, `_` and `-` are ignored takes that property's name.
 */
function alignKeys(value: unknown, schema: JsonSchema): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const norm = (k: string) => k.toLowerCase().replace(/[_-]/g, '');
  const byNorm = new Map(Object.keys(props).map((k) => [norm(k), k]));
  const obj = value as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (k in props) continue;
    const target = byNorm.get(norm(k));
    if (target !== undefined && !(target in obj)) {
      obj[target] = obj[k];
      delete obj[k];
    }
  }
  for (const [k, sub] of Object.entries(props)) alignKeys(obj[k], sub);
}

/** Where the schema wants an array of scalars and the environment gave a string, split it on commas. */
function splitCommaLists(value: unknown, schema: JsonSchema): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const obj = value as Record<string, unknown>;
  for (const [k, sub] of Object.entries(props)) {
    const v = obj[k];
    if (typeof v === 'string' && sub.type === 'array')
      obj[k] = v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    else splitCommaLists(v, sub);
  }
}
