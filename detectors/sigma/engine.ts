/**
 * The Sigma engine over an event stream: detection rules (through the RuleSet
 * index), filters (already folded into rules) and correlation rules (state in an
 * injected store). Pure: the caller supplies events, their references and their
 * event times, in event-time order. The CLI and the detector service both run
 * this class.
 */
import type { CorrelationEngine, CorrelationMatch } from './correlation';
import { EventContext } from './event-context';
import type { RuleSet } from './rule-set';
import type { DetectionRule } from './rule-types';

export type EngineOutput =
  | { kind: 'detection'; eventRef: number; rule: DetectionRule }
  | { kind: 'correlation'; eventRef: number; match: CorrelationMatch };

export class SigmaEngine {
  private readonly suppressed: ReadonlySet<string>;
  private lastTime = -Infinity;

  constructor(
    readonly ruleSet: RuleSet,
    private readonly correlations?: CorrelationEngine,
  ) {
    this.suppressed = correlations ? correlations.suppressedRuleKeys() : new Set();
  }

  /**
   * Evaluates one event. `time` (epoch ms) drives correlation windows; an event
   * without a time of its own takes the newest time seen so far.
   */
  process(event: unknown, eventRef: number, time?: number): EngineOutput[] {
    const ctx = new EventContext(event);
    const hits = this.ruleSet.matchIndexes(event, ctx);
    const out: EngineOutput[] = [];
    const t = time ?? (Number.isFinite(this.lastTime) ? this.lastTime : 0);
    if (t > this.lastTime) this.lastTime = t;
    const corr = this.correlations;
    if (corr && hits.length === 0) {
      for (const m of corr.advance(t)) out.push(this.fromMatch(m));
      return out;
    }
    for (const ri of hits) {
      const rule = this.ruleSet.rules[ri] as DetectionRule;
      if (!this.suppressed.has(rule.key)) out.push({ kind: 'detection', eventRef, rule });
      if (corr) {
        const hit = { ruleKey: rule.key, ruleId: rule.id, ruleName: rule.name, event, eventRef, time: t, ctx };
        for (const m of corr.onHit(hit)) out.push(this.fromMatch(m));
      }
    }
    return out;
  }

  /** End of stream: windows that can only be decided when they close are decided now. */
  flush(): EngineOutput[] {
    return this.correlations ? this.correlations.flush().map((m) => this.fromMatch(m)) : [];
  }

  private fromMatch(m: CorrelationMatch): EngineOutput {
    const last = m.eventRefs[m.eventRefs.length - 1] ?? -1;
    return { kind: 'correlation', eventRef: last, match: m };
  }
}
