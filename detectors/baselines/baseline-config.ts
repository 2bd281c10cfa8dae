/**
 * Baseline definitions: YAML documents beside the Sigma rules
 * (`sigma-rules/baselines/*.yml`), parsed with the Sigma loader's YAML stage (same
 * safety limits, same file:line:column positions) and validated here; every
 * problem of a file is reported at once, as BASELINE_CONFIG_INVALID.
 *
 *   id: 6f1c…                      # required, unique (a UUID like Sigma rule ids)
 *   title: Container Launched By A Client Never Seen Before
 *   kind: first_seen               # first_seen | rate | time_of_access | geography
 *   level: medium                  # Sigma levels; default medium
 *   tags: [attack.initial_access, attack.t1133]
 *   description: …                 # optional; references: [...] optional
 *   filter:                        # optional: field → accepted values (exact); all must hold
 *     dockguard.endpoint: [/containers/create]
 *   key: [host.name]               # fields forming the baseline key ([] = one baseline)
 *   value: client                  # first_seen: the field whose new values alert
 *   parameters: { … }              # per kind, see DEFAULTS below
 *
 * Key and value fields are event fields by dotted path, or `client` (the client
 * key: source.ip, else TLS subject, else user, else collector id). geography
 * tracks `value: country` or `value: asn` of the client address.
 */
import { DockguardError, type ErrorCode } from '../errors';
import { parseTimespan } from '../sigma/correlation/compile-correlation';
import { contentVersion } from '../findings/rule-info';
import { isLevel, type FindingLevel } from '../findings/severity';
import { parseYamlSource, type SourceDocument, type YamlPath } from '../sigma/yaml-source';

export const BASELINE_KINDS = ['first_seen', 'rate', 'time_of_access', 'geography'] as const;
export type BaselineKind = (typeof BASELINE_KINDS)[number];

export interface BaselineParams {
  /** Learning ends once the key's baseline is this old (event time)… */
  learningMs: number;
  /** …or has seen this many events, whichever comes first (0 = not used). */
  learningEvents: number;
  /** first_seen, geography: a value not seen for this long is forgotten. */
  ttlMs: number;
  /** first_seen, geography: most values kept per key (least recently seen evicted). */
  maxValues: number;
  /** rate: window length. */
  windowMs: number;
  /** rate: EWMA weight of the newest window. */
  alpha: number;
  /** rate: z-score above which a window alerts. */
  threshold: number;
  /** rate: windows of history before any alert. */
  minHistory: number;
  /** rate: fewest requests in a window that can alert (a burst of 3 is no burst). */
  minCount: number;
  /** rate: floor of the standard deviation, so a perfectly steady key does not alert on +1. */
  minStddev: number;
  /** time_of_access: an hour of the week with at most this many past events is "rare". */
  rareThreshold: number;
  /** All kinds: most keys tracked (least recently active evicted, counted). */
  maxKeys: number;
  /** All kinds: a key idle this long is forgotten. */
  keyTtlMs: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

const COMMON = { maxKeys: 100_000, maxValues: 1_000, learningEvents: 0 };
export const DEFAULTS: Readonly<Record<BaselineKind, BaselineParams>> = {
  first_seen: {
    ...COMMON,
    learningMs: DAY,
    ttlMs: 30 * DAY,
    keyTtlMs: 30 * DAY,
    windowMs: 60_000,
    alpha: 0.1,
    threshold: 4,
    minHistory: 30,
    minCount: 10,
    minStddev: 1,
    rareThreshold: 0,
  },
  rate: {
    ...COMMON,
    learningMs: 0,
    ttlMs: 7 * DAY,
    keyTtlMs: 7 * DAY,
    windowMs: 60_000,
    alpha: 0.1,
    threshold: 4,
    minHistory: 30,
    minCount: 10,
    minStddev: 1,
    rareThreshold: 0,
  },
  time_of_access: {
    ...COMMON,
    learningMs: 14 * DAY,
    ttlMs: 60 * DAY,
    keyTtlMs: 60 * DAY,
    windowMs: HOUR,
    alpha: 0.1,
    threshold: 4,
    minHistory: 30,
    minCount: 10,
    minStddev: 1,
    rareThreshold: 0,
  },
  geography: {
    ...COMMON,
    learningMs: 7 * DAY,
    ttlMs: 90 * DAY,
    keyTtlMs: 90 * DAY,
    windowMs: 60_000,
    alpha: 0.1,
    threshold: 4,
    minHistory: 30,
    minCount: 10,
    minStddev: 1,
    rareThreshold: 0,
  },
};

/** YAML name → [param, type, which kinds accept it] */
const PARAM_SPEC: Record<string, [keyof BaselineParams, 'duration' | 'int' | 'number', readonly BaselineKind[]]> = {
  learning_period: ['learningMs', 'duration', ['first_seen', 'time_of_access', 'geography', 'rate']],
  learning_events: ['learningEvents', 'int', ['first_seen', 'time_of_access', 'geography', 'rate']],
  ttl: ['ttlMs', 'duration', ['first_seen', 'geography']],
  max_values: ['maxValues', 'int', ['first_seen', 'geography']],
  window: ['windowMs', 'duration', ['rate']],
  alpha: ['alpha', 'number', ['rate']],
  threshold: ['threshold', 'number', ['rate']],
  min_history: ['minHistory', 'int', ['rate']],
  min_count: ['minCount', 'int', ['rate']],
  min_stddev: ['minStddev', 'number', ['rate']],
  rare_threshold: ['rareThreshold', 'int', ['time_of_access']],
  max_keys: ['maxKeys', 'int', [...BASELINE_KINDS]],
  key_ttl: ['keyTtlMs', 'duration', [...BASELINE_KINDS]],
};

export interface BaselineDef {
  id: string;
  title: string;
  description: string | null;
  references: string[];
  level: FindingLevel;
  tags: string[];
  kind: BaselineKind;
  key: string[];
  /** first_seen: a field or `client`; geography: `country` or `asn`; others: unused ('') */
  value: string;
  filter: [string, string[]][];
  params: BaselineParams;
  /** Content hash of the definition, in finding ids. */
  version: string;
  file: string;
}

const TOP_KEYS = new Set([
  'id',
  'title',
  'description',
  'references',
  'level',
  'tags',
  'kind',
  'key',
  'value',
  'filter',
  'parameters',
  'author',
  'date',
  'status',
  'falsepositives',
]);

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'))
    return v.map((x) => String(x));
  return undefined;
}

export function parseBaselineDocument(
  file: string,
  doc: SourceDocument,
): { def?: BaselineDef; errors: DockguardError[] } {
  const errors: DockguardError[] = [];
  const bad = (message: string, path: YamlPath, code: ErrorCode = 'BASELINE_CONFIG_INVALID'): void => {
    errors.push(new DockguardError({ stage: 'validate', code, message, location: doc.positions.locate(path) }));
  };
  const v = doc.value;
  if (!isMap(v)) {
    bad('a baseline is a map with id, title, kind and key', []);
    return { errors };
  }
  for (const k of Object.keys(v)) if (!TOP_KEYS.has(k)) bad(`unknown key "${k}"`, [k]);
  const id = v['id'];
  if (typeof id !== 'string' || id.trim() === '') bad('`id` must be a non-empty string', ['id']);
  const title = v['title'];
  if (typeof title !== 'string' || title.trim() === '') bad('`title` must be a non-empty string', ['title']);
  const kind = v['kind'];
  if (typeof kind !== 'string' || !(BASELINE_KINDS as readonly string[]).includes(kind))
    bad(`\`kind\` must be one of ${BASELINE_KINDS.join(', ')}`, ['kind']);
  const level = v['level'] ?? 'medium';
  if (!isLevel(level)) bad('`level` must be informational, low, medium, high or critical', ['level']);
  const tags = stringList(v['tags'] ?? []);
  if (!tags) bad('`tags` must be a list of strings', ['tags']);
  const references = stringList(v['references'] ?? []);
  if (!references) bad('`references` must be a list of strings', ['references']);
  const description = v['description'];
  if (description !== undefined && typeof description !== 'string')
    bad('`description` must be a string', ['description']);
  const key = stringList(v['key'] ?? []);
  if (!key) bad('`key` must be a field name or a list of field names', ['key']);
  else if (key.some((k) => k.trim() === '')) bad('`key` fields must not be empty', ['key']);

  const k = kind as BaselineKind;
  let value = '';
  if (k === 'first_seen') {
    if (typeof v['value'] !== 'string' || v['value'] === '')
      bad('first_seen needs `value`: the field whose new values alert (e.g. client)', ['value']);
    else value = v['value'];
  } else if (k === 'geography') {
    const g = v['value'] ?? 'country';
    if (g !== 'country' && g !== 'asn') bad('geography `value` is country or asn', ['value']);
    else value = g;
  } else if (v['value'] !== undefined) bad(`${String(kind)} takes no \`value\``, ['value']);

  const filter: [string, string[]][] = [];
  const f = v['filter'];
  if (f !== undefined) {
    if (!isMap(f)) bad('`filter` maps field names to accepted values', ['filter']);
    else
      for (const [field, vals] of Object.entries(f)) {
        const list = stringList(vals);
        if (!list || list.length === 0) bad(`filter "${field}" needs a value or a list of values`, ['filter', field]);
        else filter.push([field, list]);
      }
  }

  const params: BaselineParams = { ...(DEFAULTS[k] ?? DEFAULTS.first_seen) };
  const p = v['parameters'];
  if (p !== undefined && !isMap(p)) bad('`parameters` must be a map', ['parameters']);
  else if (p !== undefined)
    for (const [name, raw] of Object.entries(p)) {
      const spec = PARAM_SPEC[name];
      const path = ['parameters', name];
      if (!spec) {
        bad(`unknown parameter "${name}" (known: ${Object.keys(PARAM_SPEC).join(', ')})`, path);
        continue;
      }
      const [prop, type, kinds] = spec;
      if ((BASELINE_KINDS as readonly unknown[]).includes(kind) && !kinds.includes(k)) {
        bad(`parameter "${name}" does not apply to kind ${kind}`, path);
        continue;
      }
      if (type === 'duration') {
        const ms = typeof raw === 'string' ? parseTimespan(raw) : raw === 0 ? 0 : undefined;
        if (ms === undefined) bad(`"${name}" must be a duration such as 30m, 24h or 7d`, path);
        else params[prop] = ms;
      } else if (type === 'int') {
        if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0)
          bad(`"${name}" must be a whole number ≥ 0`, path);
        else params[prop] = raw;
      } else if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0)
        bad(`"${name}" must be a number ≥ 0`, path);
      else params[prop] = raw;
    }
  if (params.alpha <= 0 || params.alpha > 1) bad('"alpha" must be in (0, 1]', ['parameters', 'alpha']);
  if (params.maxKeys < 1) bad('"max_keys" must be at least 1', ['parameters', 'max_keys']);
  if (params.maxValues < 1) bad('"max_values" must be at least 1', ['parameters', 'max_values']);
  if (params.windowMs < 1000) bad('"window" must be at least 1s', ['parameters', 'window']);
  if (params.keyTtlMs < 1000) bad('"key_ttl" must be at least 1s', ['parameters', 'key_ttl']);

  if (errors.length > 0) return { errors };
  return {
    def: {
      id: id as string,
      title: title as string,
      description: (description as string | undefined) ?? null,
      references: references ?? [],
      level: level as FindingLevel,
      tags: tags ?? [],
      kind: k,
      key: key ?? [],
      value,
      filter,
      params,
      version: contentVersion(v),
      file,
    },
    errors,
  };
}

export interface BaselineSource {
  file: string;
  text: string;
}

/** Parses every document of every file; ids must be unique across files. Collects all problems. */
export function loadBaselines(
  sources: readonly BaselineSource[],
  /** Parameters that override every definition's (rule tests shorten learning periods with it). */
  overrides?: Readonly<Record<string, unknown>>,
): { defs: BaselineDef[]; errors: DockguardError[] } {
  const defs: BaselineDef[] = [];
  const errors: DockguardError[] = [];
  const seen = new Map<string, BaselineDef>();
  for (const src of sources) {
    const parsed = parseYamlSource(src.file, src.text);
    errors.push(...parsed.errors);
    if (parsed.errors.some((e) => e.code === 'UNSAFE_KEY')) continue;
    for (const doc of parsed.documents) {
      const v = doc.value;
      const r =
        overrides && isMap(v)
          ? parseBaselineDocument(src.file, {
              ...doc,
              value: { ...v, parameters: { ...(isMap(v['parameters']) ? v['parameters'] : {}), ...overrides } },
            })
          : parseBaselineDocument(src.file, doc);
      errors.push(...r.errors);
      if (!r.def) continue;
      const clash = seen.get(r.def.id);
      if (clash) {
        errors.push(
          new DockguardError({
            stage: 'validate',
            code: 'BASELINE_CONFIG_INVALID',
            message: `baseline id "${r.def.id}" is already used in ${clash.file}`,
            location: doc.positions.locate(['id']),
          }),
        );
        continue;
      }
      seen.set(r.def.id, r.def);
      defs.push(r.def);
    }
  }
  return { defs, errors };
}
