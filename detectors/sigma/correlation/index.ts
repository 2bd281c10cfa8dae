/** Sigma correlation rules: compile, link (graph check), run incrementally over a state store. */
export {
  compileCorrelation,
  conditionHolds,
  CONDITION_OPERATORS,
  CORRELATION_TYPES,
  parseTimespan,
} from './compile-correlation';
export type {
  ConditionOperator,
  CorrelationCondition,
  CorrelationReport,
  CorrelationRule,
  CorrelationType,
} from './compile-correlation';
export { checkCorrelationGraph, correlationKey } from './correlation-graph';
export type { RuleResolver } from './correlation-graph';
export { CorrelationEngine, DEFAULT_MAX_EVENTS_PER_GROUP } from './correlation-engine';
export type {
  CorrelationCounters,
  CorrelationEngineOptions,
  CorrelationHit,
  CorrelationMatch,
} from './correlation-engine';
export { DEFAULT_MAX_STATE_KEYS, isGroupState, MemoryCorrelationState } from './correlation-state';
export type {
  CorrelationStateStore,
  GroupState,
  GroupValue,
  MemoryCorrelationStateOptions,
  StoredHit,
} from './correlation-state';
