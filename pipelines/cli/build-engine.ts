/** Compiles loaded rules into an engine for the CLI commands. */
import type { DockguardError } from '../../detectors/errors';
import { compileRules, createEngine } from '../../detectors/sigma/compile-engine';
import type { SigmaEngine } from '../../detectors/sigma/engine';
import type { Loaded } from './load';

export function buildEngine(loaded: Loaded): {
  engine: SigmaEngine;
  problems: DockguardError[];
  correlationCount: number;
} {
  const compiled = compileRules(loaded.result, loaded.configs);
  return {
    engine: createEngine(compiled),
    problems: compiled.problems,
    correlationCount: compiled.correlations.length,
  };
}
