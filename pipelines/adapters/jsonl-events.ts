/**
 * Reads JSON Lines events from a file or stdin, one at a time, with back-pressure
 * (readline over a stream): a large file is never held in memory.
 */
import * as fs from 'fs';
import * as readline from 'readline';
import { DockguardError } from '../../detectors/errors';

export type JsonlItem =
  | { ok: true; index: number; line: number; event: Record<string, unknown> }
  | { ok: false; index: number; line: number; error: string };

/** Yields one item per non-empty line; `index` counts every line (0-based), blank ones included. */
export async function* readJsonl(source: string): AsyncGenerator<JsonlItem> {
  if (source !== '-') {
    try {
      fs.accessSync(source, fs.constants.R_OK);
    } catch (e) {
      throw new DockguardError({
        stage: 'io',
        code: 'IO_READ',
        message: `cannot read events from ${source}: ${(e as Error).message}`,
        cause: e,
      });
    }
  }
  const input = source === '-' ? process.stdin : fs.createReadStream(source, { encoding: 'utf8' });
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let index = -1;
  for await (const text of rl) {
    index++;
    if (text.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (e) {
      yield { ok: false, index, line: index + 1, error: (e as Error).message };
      continue;
    }
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      yield { ok: false, index, line: index + 1, error: 'not a JSON object' };
      continue;
    }
    yield { ok: true, index, line: index + 1, event: event as Record<string, unknown> };
  }
}
