/** Command-line parsing with errors that say what to do. */
import { parseArgs } from 'util';
import { DockguardError } from '../../detectors/errors';

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

export function parse(
  argv: string[],
  options: OptionSpec,
  usage: string,
): { values: Record<string, string | string[] | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | string[] | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    throw new DockguardError({ stage: 'config', code: 'OPTION_INVALID', message: `${(e as Error).message}\n${usage}` });
  }
}

export function list(v: string | string[] | boolean | undefined): string[] {
  if (v === undefined || typeof v === 'boolean') return [];
  return Array.isArray(v) ? v : [v];
}
