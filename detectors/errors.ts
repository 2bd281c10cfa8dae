/**
 * The one error model of dockguard.
 *
 * Every failure carries the stage it happened in, a code from a fixed list, a
 * `retriable` flag and, where it concerns a file, a file:line:column location
 * (pySigma's SigmaError carries a location; Falco has fixed load-result codes;
 * we do both). Rule loading collects errors instead of throwing on the first,
 * so a rule author sees every problem of a file at once.
 */

export type Stage = 'io' | 'parse' | 'validate' | 'compile' | 'config' | 'runtime' | 'test';

export type Severity = 'error' | 'warning';

/** Fixed list of codes. Each has a one-line hint that tells the user what to do. */
export const ERROR_CODES = {
  IO_READ: 'check that the path exists and is readable',
  YAML_PARSE: 'fix the YAML syntax at the given position',
  YAML_LIMIT: 'the document exceeds a safety limit (aliases, nesting depth or size); simplify it',
  UNSAFE_KEY: 'rename the key: __proto__, constructor and prototype are not allowed as keys',
  DOCUMENT_KIND: 'a Sigma document needs `detection` (rule), `correlation` or `filter`',
  SCHEMA_VIOLATION: 'make the document conform to the Sigma JSON schema',
  DUPLICATE_RULE: 'give every rule a unique id and name',
  DETECTION_INVALID: 'a search identifier holds a map, a list of maps or a list of values',
  MODIFIER_UNKNOWN: 'use a modifier from the Sigma modifiers appendix',
  MODIFIER_INVALID: 'this modifier cannot be used with this value or with the other modifiers',
  VALUE_INVALID: 'this value cannot be used here',
  REGEX_INVALID: 'use the Sigma regular expression subset (no backreferences or lookaround)',
  REGEX_UNSAFE: 'the regular expression could backtrack catastrophically; remove nested quantifiers',
  CIDR_INVALID: 'write the network as address/prefix, e.g. 10.0.0.0/8 or fd00::/8',
  PLACEHOLDER_UNDEFINED: 'define the placeholder in the file given with --placeholders',
  CONDITION_SYNTAX: 'fix the condition syntax (and, or, not, parentheses, 1 of, all of)',
  CONDITION_UNKNOWN_IDENTIFIER: 'define the search identifier under detection or fix its name',
  CONDITION_NO_MATCH: 'the pattern matches no search identifier',
  CONDITION_LIMIT: 'the condition is too long or too deeply nested; split the rule',
  CONDITION_UNSUPPORTED: 'aggregations in conditions are obsolete: write a Sigma correlation rule',
  CORRELATION_INVALID: 'fix the correlation section (type, rules, group-by, timespan, condition)',
  CORRELATION_RULE_UNRESOLVED: 'reference an existing rule by id or name',
  CORRELATION_CYCLE: 'correlation rules must not reference themselves, directly or not',
  FILTER_RULE_UNRESOLVED: 'the filter references a rule that was not loaded',
  LOGSOURCE_CONFIG_INVALID: 'fix the logsource configuration file (sigmac format)',
  LOGSOURCE_UNMAPPED: 'add an entry for this logsource to the logsource configuration',
  PLACEHOLDER_FILE_INVALID: 'the placeholder file maps names to a value or a list of values',
  RULE_TEST_INVALID: 'fix the rule test file (see sigma-rules/README.md for the format)',
  RULE_TEST_FAILED: 'the rule does not behave as its test expects',
  EVENT_INVALID: 'each event line must be one JSON object',
  OPTION_INVALID: 'fix the command line option',
  CONFIG_INVALID: 'fix the named setting in the configuration file or environment',
  KAFKA_UNAVAILABLE: 'check that the Kafka brokers are reachable (brokers setting); the call is retried',
  KAFKA_REJECTED: 'the broker refused the record (size, authorisation or topic); see the cause',
  SCHEMA_REGISTRY: 'check the schema registry URL and that the subject accepts this schema',
  SPOOL_FULL: 'Kafka is unreachable and the local spool is full: restore Kafka or enlarge spool.maxBytes',
  SPOOL_CORRUPT: 'a spool segment is damaged; the readable records were kept, see the log for the file',
  POLICY_DENIED: 'the call matched a deny policy; change the request or the policy',
  BODY_INCOMPLETE: 'the collector could not see the whole request body (authz plugin: 1 MiB and more)',
  UPSTREAM_UNAVAILABLE: 'the Docker daemon socket did not answer; check dockerd and the upstream setting',
  ELASTICSEARCH_UNAVAILABLE: 'check that Elasticsearch is reachable; documents are retried',
  ELASTICSEARCH_REJECTED:
    'Elasticsearch refused the document (mapping or validation); it went to the dead-letter topic',
  BASELINE_CONFIG_INVALID: 'fix the baseline definition (see sigma-rules/README.md)',
  INTEL_FILE_INVALID: 'fix the indicator file (CSV, plain list or STIX 2.1 bundle)',
  STATE_RESTORE: 'the detector state could not be restored from the changelog; see the cause',
  DETECTOR_FAILED: 'a detector threw on this event; it went to the dead-letter topic',
  EXPORT_UNSUPPORTED: 'this Sigma construct has no equivalent in the target query language',
  IO_WRITE: 'check that the directory exists and is writable by this user',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface SourceLocation {
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

export interface DockguardErrorInit {
  stage: Stage;
  code: ErrorCode;
  message: string;
  retriable?: boolean;
  severity?: Severity;
  location?: SourceLocation;
  cause?: unknown;
}

export class DockguardError extends Error {
  readonly stage: Stage;
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly severity: Severity;
  readonly location: SourceLocation | undefined;

  constructor(init: DockguardErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'DockguardError';
    this.stage = init.stage;
    this.code = init.code;
    this.retriable = init.retriable ?? false;
    this.severity = init.severity ?? 'error';
    this.location = init.location;
  }

  /** `file:line:column: severity CODE: message (hint)`, the form linters print. */
  format(): string {
    const where = this.location ? `${this.location.file}:${this.location.line}:${this.location.column}: ` : '';
    return `${where}${this.severity} ${this.code}: ${this.message} (${ERROR_CODES[this.code]})`;
  }

  toJSON(): Record<string, unknown> {
    return {
      stage: this.stage,
      code: this.code,
      severity: this.severity,
      retriable: this.retriable,
      message: this.message,
      ...(this.location ? { location: this.location } : {}),
    };
  }
}

export function isDockguardError(e: unknown): e is DockguardError {
  return e instanceof DockguardError;
}
