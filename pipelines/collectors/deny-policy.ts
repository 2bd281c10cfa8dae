/**
 * The deny policy both collector modes apply at request time (CallPolicy).
 *
 * One matching language: a deny entry's conditions are a Sigma `detection`
 * section over the audit event fields (the same field names the rule pack
 * uses), compiled by our Sigma engine, plus optional `endpoints` (endpoint
 * templates, e.g. /containers/create) and `methods`. Detection engineers who
 * write rules can write deny entries, and Sigma rules marked for blocking
 * (`policy.sigmaBlockRules`) join the same index.
 *
 *   deny:
 *     - id: host-root-bind
 *       message: binding the host root filesystem into a container is not allowed
 *       endpoints: [/containers/create]
 *       detection:
 *         bind_root: { dockguard.container.binds|startswith: '/:' }
 *         condition: bind_root
 *
 * Compiled at startup, all problems of all entries collected, each naming its
 * entry; `decide` never throws (an internal error denies with `policy-error`,
 * the fail-closed choice for a security control on the request path).
 * Pure: the caller reads the files (policy-config.ts).
 */
import { DockguardError, type ErrorCode, type Severity } from '../../detectors/errors';
import { compileDetection, compileSearch } from '../../detectors/sigma/detection';
import { EventContext } from '../../detectors/sigma/event-context';
import { and, requiredClauses, toPredicate, type Node } from '../../detectors/sigma/ir';
import { RuleSet } from '../../detectors/sigma/rule-set';
import type { DetectionRule } from '../../detectors/sigma/rule-types';
import type { CompileEnv } from '../../detectors/sigma/value-compiler';
import { parseYamlSource, type PositionIndex, type YamlPath } from '../../detectors/sigma/yaml-source';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { CallPolicy } from './call-policy';
import type { CapturedDecision } from './captured-call';

export interface PolicySource {
  file: string;
  text: string;
}

export interface DenyPolicyOptions {
  /** Entry ids to leave out (e.g. `body-incomplete` to let > 1 MiB authz requests through). */
  disable?: readonly string[];
  /** Compiled Sigma rules that deny on match (already selected by `policy.sigmaBlockRules`). */
  blockRules?: readonly DetectionRule[];
}

/** What one index position decides when it matches. */
interface Verdict {
  rule: string;
  reason: string;
}

const ENTRY_KEYS = new Set(['id', 'message', 'endpoints', 'methods', 'detection', 'description']);
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const POLICY_ERROR: CapturedDecision = Object.freeze({
  allowed: false,
  rule: 'policy-error',
  reason: 'policy-error: the deny policy could not evaluate this call',
});
const ALLOWED: CapturedDecision = Object.freeze({ allowed: true, rule: null, reason: null });

export class DenyPolicy implements CallPolicy {
  /** Evaluation failures (they denied the call); the collector exports it as a metric. */
  errors = 0;

  constructor(
    private readonly ruleSet: RuleSet,
    private readonly verdicts: readonly Verdict[],
  ) {}

  /** Number of deny entries plus blocking Sigma rules. */
  get size(): number {
    return this.verdicts.length;
  }

  get allowsEverything(): boolean {
    return this.verdicts.length === 0;
  }

  decide(event: DockerApiEvent): CapturedDecision {
    if (this.allowsEverything) return ALLOWED;
    try {
      // matchIndexes returns rule order: the first entry of the policy file wins
      const hits = this.ruleSet.matchIndexes(event, new EventContext(event));
      const first = hits[0];
      if (first === undefined) return ALLOWED;
      const v = this.verdicts[first];
      if (v === undefined) return POLICY_ERROR;
      return { allowed: false, rule: v.rule, reason: v.reason };
    } catch {
      this.errors++;
      return POLICY_ERROR;
    }
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringList(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x): x is string => typeof x === 'string')) return v;
  return undefined;
}

/**
 * Compiles deny entries from policy files (each a YAML map with a `deny` list)
 * and appends the blocking Sigma rules. Returns every problem found; the caller
 * refuses to start when one is an error.
 */
export function compileDenyPolicy(
  sources: readonly PolicySource[],
  opts: DenyPolicyOptions = {},
): { policy: DenyPolicy; problems: DockguardError[] } {
  const problems: DockguardError[] = [];
  const disabled = new Set(opts.disable ?? []);
  const rules: DetectionRule[] = [];
  const verdicts: Verdict[] = [];
  const seen = new Map<string, string>();

  for (const src of sources) {
    const parsed = parseYamlSource(src.file, src.text);
    problems.push(...parsed.errors);
    if (parsed.errors.some((e) => e.severity === 'error')) continue;
    if (parsed.documents.length !== 1) {
      problems.push(configProblem(`${src.file}: a policy file holds one YAML document`, src.file));
      continue;
    }
    const doc = parsed.documents[0]!;
    const root = doc.value;
    if (!isMap(root) || !Array.isArray(root['deny'])) {
      problems.push(configProblem('a policy file is a map with a `deny` list', src.file, doc.positions.locate([])));
      continue;
    }
    for (const key of Object.keys(root))
      if (key !== 'deny')
        problems.push(
          configProblem(
            `unknown key "${key}" (a policy file has only \`deny\`)`,
            src.file,
            doc.positions.locate([key]),
          ),
        );
    (root['deny'] as unknown[]).forEach((entry, i) => {
      // ids are claimed before compiling, so a duplicate is reported even when the first one is broken
      const id = isMap(entry) && typeof entry['id'] === 'string' ? entry['id'] : undefined;
      if (id !== undefined) {
        const prior = seen.get(id);
        if (prior !== undefined) {
          problems.push(
            configProblem(
              `deny entry "${id}": id already used in ${prior}`,
              src.file,
              doc.positions.locate(['deny', i, 'id']),
            ),
          );
          return;
        }
        seen.set(id, src.file);
      }
      const compiled = compileEntry(entry, ['deny', i], doc.positions, problems, src.file);
      if (!compiled || disabled.has(compiled.id)) return;
      rules.push(compiled.rule);
      verdicts.push({ rule: compiled.id, reason: compiled.message });
    });
  }
  for (const id of disabled)
    if (!seen.has(id))
      problems.push(
        configProblem(`policy.disable names "${id}", which no policy file defines`, null, undefined, 'warning'),
      );
  for (const r of opts.blockRules ?? []) {
    rules.push(r);
    const ruleId = r.id ?? r.name ?? r.key;
    verdicts.push({ rule: ruleId, reason: `blocked by Sigma rule "${r.title}" (${ruleId})` });
  }
  return { policy: new DenyPolicy(new RuleSet(rules), verdicts), problems };
}

function configProblem(
  message: string,
  file: string | null,
  location?: { file: string; line: number; column: number },
  severity: Severity = 'error',
): DockguardError {
  return new DockguardError({
    stage: 'config',
    code: 'CONFIG_INVALID',
    message,
    severity,
    location: location ?? (file ? { file, line: 1, column: 1 } : undefined),
  });
}

function compileEntry(
  entry: unknown,
  path: YamlPath,
  positions: PositionIndex,
  problems: DockguardError[],
  file: string,
): { id: string; message: string; rule: DetectionRule } | undefined {
  const at = (p: YamlPath): ReturnType<PositionIndex['locate']> => positions.locate([...path, ...p]);
  if (!isMap(entry)) {
    problems.push(configProblem(`deny entry ${String(path[1])}: must be a map`, file, at([])));
    return undefined;
  }
  const id = typeof entry['id'] === 'string' ? entry['id'] : undefined;
  const name = id !== undefined ? `deny entry "${id}"` : `deny entry ${String(path[1])}`;
  let ok = true;
  const fail = (message: string, p: YamlPath, code: ErrorCode = 'CONFIG_INVALID', severity: Severity = 'error') => {
    if (severity === 'error') ok = false;
    problems.push(
      new DockguardError({ stage: 'config', code, message: `${name}: ${message}`, severity, location: at(p) }),
    );
  };
  if (id === undefined || !ID_PATTERN.test(id)) fail('needs an `id` of letters, digits, ".", "_" or "-"', ['id']);
  const message = entry['message'];
  if (typeof message !== 'string' || message.trim() === '')
    fail('needs a `message` (the client sees it after "authorization denied by plugin …:")', ['message']);
  for (const key of Object.keys(entry))
    if (!ENTRY_KEYS.has(key)) fail(`unknown key "${key}" (use ${[...ENTRY_KEYS].join(', ')})`, [key]);
  if (!('endpoints' in entry) && !('methods' in entry) && !('detection' in entry))
    fail('needs `endpoints`, `methods` or `detection` (an entry without conditions would deny every call)', []);

  const env: CompileEnv = {
    placeholders: new Map(),
    mapField: (f) => [f],
    // problems from the Sigma compiler carry its code (MODIFIER_UNKNOWN, CONDITION_SYNTAX, …)
    report: (code, msg, p, severity = 'error') => fail(msg, p.slice(path.length), code, severity),
  };
  const parts: Node[] = [];
  if ('endpoints' in entry) {
    const eps = stringList(entry['endpoints']);
    if (!eps || eps.some((e) => !e.startsWith('/')))
      fail('`endpoints` is a list of endpoint templates such as /containers/create', ['endpoints']);
    else {
      const n = compileSearch({ 'dockguard.endpoint': eps }, env, [...path, 'endpoints']);
      if (n) parts.push(n);
    }
  }
  if ('methods' in entry) {
    const ms = stringList(entry['methods']);
    if (!ms || ms.some((m) => !/^[A-Za-z]+$/.test(m)))
      fail('`methods` is a list of HTTP methods such as POST', ['methods']);
    else {
      const n = compileSearch({ 'http.request.method': ms.map((m) => m.toUpperCase()) }, env, [...path, 'methods']);
      if (n) parts.push(n);
    }
  }
  if ('detection' in entry) {
    const det = entry['detection'];
    if (!isMap(det))
      fail('`detection` is a Sigma detection section (search identifiers and a condition)', ['detection']);
    else {
      const n = compileDetection(det, env, [...path, 'detection']);
      if (n) parts.push(n);
    }
  }
  if (!ok || id === undefined || typeof message !== 'string' || parts.length === 0) return undefined;
  const node = and(parts);
  const rule: DetectionRule = {
    key: `policy:${id}`,
    id: undefined,
    name: id,
    title: message,
    level: undefined,
    status: undefined,
    description: typeof entry['description'] === 'string' ? entry['description'] : undefined,
    tags: [],
    references: [],
    falsepositives: [],
    logsource: {},
    location: at([]),
    node,
    predicate: toPredicate(node),
    clauses: requiredClauses(node),
    meta: entry,
  };
  return { id, message: message.trim(), rule };
}
