/** Sigma level → ECS event.severity and event.risk_score (ECS conventions: low 21, medium 47, high 73, critical 99). */
export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type FindingLevel = (typeof LEVELS)[number];

const SEVERITY: Readonly<Record<FindingLevel, number>> = {
  informational: 1,
  low: 21,
  medium: 47,
  high: 73,
  critical: 99,
};

export function isLevel(v: unknown): v is FindingLevel {
  return typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
}

/** A rule without a level is treated as medium (Sigma's level is optional; medium is its middle). */
export function severityOf(level: string | undefined): { level: FindingLevel; severity: number; risk_score: number } {
  const l: FindingLevel = isLevel(level) ? level : 'medium';
  return { level: l, severity: SEVERITY[l], risk_score: SEVERITY[l] };
}
