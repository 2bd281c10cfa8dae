/**
 * `dockguard match`: evaluates Sigma rules (detection, filters, correlations)
 * against JSON Lines events and prints one JSON object per match.
 */
import { DockguardError } from '../../detectors/errors';
import { buildEngine } from './build-engine';
import { DEFAULT_TIMESTAMP_FIELDS, eventTime } from '../../detectors/sigma/event-time';
import type { EngineOutput } from '../../detectors/sigma/engine';
import { readJsonl } from '../adapters/jsonl-events';
import { list, parse } from './args';
import { loadFromPaths, printProblems } from './load';

const USAGE =
  'usage: dockguard match --rules <file|dir> [--rules …] --events <file.jsonl|-> [--logsources <file>] [--placeholders <file>] [--timestamp-field <name>]';

export function formatOutput(o: EngineOutput): string {
  if (o.kind === 'detection') {
    const r = o.rule;
    return JSON.stringify({ event: o.eventRef, rule_id: r.id ?? r.key, title: r.title, level: r.level ?? null });
  }
  const m = o.match;
  return JSON.stringify({
    event: o.eventRef,
    rule_id: m.rule.id ?? m.rule.name ?? m.rule.title,
    title: m.rule.title,
    level: m.rule.level ?? null,
    group: m.group,
    events: m.eventRefs,
  });
}

export async function matchCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      rules: { type: 'string', multiple: true },
      events: { type: 'string' },
      logsources: { type: 'string', multiple: true },
      placeholders: { type: 'string' },
      'timestamp-field': { type: 'string', multiple: true },
    },
    USAGE,
  );
  const rules = list(values['rules']);
  const events = values['events'];
  if (rules.length === 0 || typeof events !== 'string')
    throw new DockguardError({
      stage: 'config',
      code: 'OPTION_INVALID',
      message: `--rules and --events are required\n${USAGE}`,
    });
  const loaded = loadFromPaths({
    rules,
    logsources: list(values['logsources']),
    placeholders: typeof values['placeholders'] === 'string' ? values['placeholders'] : undefined,
  });
  const built = buildEngine(loaded);
  printProblems([...loaded.problems, ...built.problems]);
  if (loaded.errorCount > 0 || built.problems.some((p) => p.severity === 'error')) return 2;
  const tsFields = list(values['timestamp-field']);
  const fields = tsFields.length > 0 ? tsFields : DEFAULT_TIMESTAMP_FIELDS;

  const out = process.stdout;
  let buffer = '';
  const emit = (outputs: EngineOutput[]): Promise<void> | undefined => {
    for (const o of outputs) buffer += formatOutput(o) + '\n';
    if (buffer.length < 65536) return undefined;
    const chunk = buffer;
    buffer = '';
    // honour back-pressure: wait for stdout to drain before reading on
    return out.write(chunk) ? undefined : new Promise((resolve) => out.once('drain', () => resolve()));
  };
  let malformed = 0;
  for await (const item of readJsonl(events)) {
    if (!item.ok) {
      malformed++;
      process.stderr.write(`${events}:${item.line}: skipped malformed event: ${item.error}\n`);
      continue;
    }
    const wait = emit(built.engine.process(item.event, item.index, eventTime(item.event, fields)));
    if (wait) await wait;
  }
  await emit(built.engine.flush());
  if (buffer) out.write(buffer);
  if (malformed > 0) process.stderr.write(`${malformed} malformed event line(s) skipped\n`);
  return 0;
}
