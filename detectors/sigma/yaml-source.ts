/**
 * Parse stage: YAML text → plain documents plus a position index, so that later
 * stages can report `file:line:column` for any key or value they reject.
 *
 * Safety: js-yaml 5 with the CORE schema (no timestamps, no custom tags), aliases
 * capped (a "billion laughs" document is rejected, not expanded), nesting depth
 * capped, duplicate keys rejected, and keys that could reach Object.prototype are
 * reported (js-yaml stores `__proto__` as an own property, so nothing is polluted).
 */
import { constructFromEvents, EVENT_ID, getScalarValue, parseEvents, YAMLException } from 'js-yaml';
import type { Event as YamlEvent, ScalarEvent } from 'js-yaml';
import { DockguardError, type SourceLocation } from '../errors';

export const YAML_LIMITS = {
  maxAliases: 64,
  maxDepth: 64,
  maxBytes: 4 * 1024 * 1024,
  /** nodes of a document once its aliases are expanded (a few aliases can still nest exponentially) */
  maxExpandedNodes: 1_000_000,
};

/** Size of `v` with shared (aliased) objects counted every time they appear; stops past `cap`. */
function expandedSize(v: unknown, memo: Map<object, number>, cap: number): number {
  if (v === null || typeof v !== 'object') return 1;
  const known = memo.get(v);
  if (known !== undefined) return known;
  let n = 1;
  for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
    n += expandedSize(child, memo, cap);
    if (n > cap) break;
  }
  memo.set(v, n);
  return n;
}

const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export type YamlPath = ReadonlyArray<string | number>;

/** Maps a path inside a document to a source offset; locates the nearest known ancestor. */
export class PositionIndex {
  private readonly offsets = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly lineStarts: number[],
  ) {}

  set(path: YamlPath, offset: number): void {
    const key = pathKey(path);
    if (!this.offsets.has(key)) this.offsets.set(key, offset);
  }

  /** Location of `path`, or of its closest ancestor that has one. */
  locate(path: YamlPath): SourceLocation {
    for (let n = path.length; n >= 0; n--) {
      const off = this.offsets.get(pathKey(path.slice(0, n)));
      if (off !== undefined) return offsetToLocation(this.file, this.lineStarts, off);
    }
    return { file: this.file, line: 1, column: 1 };
  }
}

export interface SourceDocument {
  /** 0-based index of the document in its file (multi-document YAML). */
  index: number;
  value: unknown;
  positions: PositionIndex;
}

export interface ParsedSource {
  file: string;
  documents: SourceDocument[];
  errors: DockguardError[];
}

function pathKey(path: YamlPath): string {
  return path.join('\u0000');
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

export function offsetToLocation(file: string, lineStarts: number[], offset: number): SourceLocation {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file, line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
}

interface Frame {
  kind: 'map' | 'seq';
  path: (string | number)[];
  /** map: the key read, waiting for its value; seq: next index */
  key: string | undefined;
  index: number;
}

/**
 * Walks the flat event stream once and records where every key and sequence item
 * starts. Returns one index per document, and unsafe keys with their locations.
 */
function indexEvents(
  file: string,
  text: string,
  lineStarts: number[],
  events: YamlEvent[],
): { indexes: PositionIndex[]; unsafe: DockguardError[] } {
  const indexes: PositionIndex[] = [];
  const unsafe: DockguardError[] = [];
  let stack: Frame[] = [];
  let current: PositionIndex | undefined;

  // Returns the path of the node now being read, and advances the parent.
  const childPath = (offset: number): (string | number)[] | undefined => {
    const top = stack[stack.length - 1];
    if (!top) return [];
    if (top.kind === 'seq') {
      const p = [...top.path, top.index++];
      current?.set(p, offset);
      return p;
    }
    if (top.key === undefined) return undefined; // this node is a key
    const p = [...top.path, top.key];
    top.key = undefined;
    return p;
  };

  for (const ev of events) {
    switch (ev.type) {
      case EVENT_ID.DOCUMENT:
        current = new PositionIndex(file, lineStarts);
        indexes.push(current);
        stack = [];
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        const path = childPath(ev.start) ?? [...(stack[stack.length - 1]?.path ?? []), '?'];
        if (path.length === 0) current?.set([], ev.start);
        stack.push({ kind: ev.type === EVENT_ID.MAPPING ? 'map' : 'seq', path, key: undefined, index: 0 });
        break;
      }
      case EVENT_ID.SCALAR: {
        const sc = ev as ScalarEvent;
        const top = stack[stack.length - 1];
        if (top && top.kind === 'map' && top.key === undefined) {
          const key = getScalarValue(text, sc);
          top.key = key;
          current?.set([...top.path, key], sc.valueStart);
          if (UNSAFE_KEYS.has(key)) {
            unsafe.push(
              new DockguardError({
                stage: 'parse',
                code: 'UNSAFE_KEY',
                message: `key "${key}" is not allowed`,
                location: offsetToLocation(file, lineStarts, sc.valueStart),
              }),
            );
          }
        } else {
          childPath(sc.valueStart);
        }
        break;
      }
      case EVENT_ID.ALIAS:
        childPath(ev.anchorStart);
        break;
      case EVENT_ID.POP:
        if (stack.length > 0) stack.pop();
        break;
    }
  }
  return { indexes, unsafe };
}

/** Parses every YAML document of `text`. Never throws: problems come back as errors. */
export function parseYamlSource(file: string, text: string): ParsedSource {
  const errors: DockguardError[] = [];
  if (text.length > YAML_LIMITS.maxBytes) {
    errors.push(
      new DockguardError({
        stage: 'parse',
        code: 'YAML_LIMIT',
        message: `file is ${text.length} bytes, more than the ${YAML_LIMITS.maxBytes} allowed`,
        location: { file, line: 1, column: 1 },
      }),
    );
    return { file, documents: [], errors };
  }
  const lineStarts = computeLineStarts(text);
  let values: unknown[];
  let events: YamlEvent[];
  try {
    events = parseEvents(text, { filename: file, maxDepth: YAML_LIMITS.maxDepth });
    values = constructFromEvents(events, {
      source: text,
      filename: file,
      maxAliases: YAML_LIMITS.maxAliases,
      maxTotalMergeKeys: 1000,
    });
  } catch (e) {
    const mark = e instanceof YAMLException ? e.mark : undefined;
    const reason = e instanceof YAMLException ? e.reason : String(e);
    const limit = /maxAliases|maxDepth|depth|alias/i.test(reason);
    errors.push(
      new DockguardError({
        stage: 'parse',
        code: limit ? 'YAML_LIMIT' : 'YAML_PARSE',
        message: reason,
        location: mark ? { file, line: mark.line + 1, column: mark.column + 1 } : { file, line: 1, column: 1 },
        cause: e,
      }),
    );
    return { file, documents: [], errors };
  }
  if (events.some((e) => e.type === EVENT_ID.ALIAS)) {
    const memo = new Map<object, number>();
    const big = values.findIndex(
      (v) => expandedSize(v, memo, YAML_LIMITS.maxExpandedNodes) > YAML_LIMITS.maxExpandedNodes,
    );
    if (big >= 0) {
      errors.push(
        new DockguardError({
          stage: 'parse',
          code: 'YAML_LIMIT',
          message: `document ${big + 1} expands to more than ${YAML_LIMITS.maxExpandedNodes} nodes through its aliases`,
          location: { file, line: 1, column: 1 },
        }),
      );
      return { file, documents: [], errors };
    }
  }
  const { indexes, unsafe } = indexEvents(file, text, lineStarts, events);
  errors.push(...unsafe);
  const documents: SourceDocument[] = [];
  values.forEach((value, index) => {
    // an empty document (e.g. a trailing `---`) carries nothing to load
    if (value === null || value === undefined) return;
    documents.push({ index, value, positions: indexes[index] ?? new PositionIndex(file, lineStarts) });
  });
  return { file, documents, errors };
}
