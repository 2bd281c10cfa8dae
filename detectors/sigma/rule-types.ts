import type { SourceLocation } from '../errors';
import type { Needle, Node, Pred } from './ir';
import type { Logsource } from './logsource-config';

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** A compiled detection rule: metadata plus the matcher. Never reaches the hot path uncompiled. */
export interface DetectionRule {
  /** Unique key: the id, else the name, else file#document. */
  key: string;
  id: string | undefined;
  name: string | undefined;
  title: string;
  level: Level | undefined;
  status: string | undefined;
  description: string | undefined;
  tags: string[];
  references: string[];
  falsepositives: string[];
  logsource: Logsource;
  location: SourceLocation;
  /** The detection, with filters applied. */
  node: Node;
  predicate: Pred;
  /** Literal requirements for the prefilter index (see ir.requiredClauses); [] = always evaluate. */
  clauses: Needle[][];
  /** The whole YAML document, for output and export. */
  meta: Record<string, unknown>;
}

export interface FilterRule {
  id: string | undefined;
  title: string;
  logsource: Logsource;
  rules: string[];
  node: Node;
  location: SourceLocation;
}
