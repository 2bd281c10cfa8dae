/**
 * V8's linear-time regex engine (the `l` flag) keeps rules with backtracking-prone
 * regexes from stalling the pipeline (see detectors/sigma/safe-regex.ts). Flags
 * must be set before any such RegExp is built, so every entry point imports this
 * module first.
 */
import * as v8 from 'v8';
import { declareBacktrackFallback } from '../../detectors/sigma/safe-regex';

v8.setFlagsFromString('--enable-experimental-regexp-engine');
v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
declareBacktrackFallback(true);
