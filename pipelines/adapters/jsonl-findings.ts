/**
 * Appends findings to a JSON Lines file, one Finding (the Avro schema's JSON
 * shape) per line, for `dockguard run --findings-out`. Appending keeps the
 * findings of earlier runs; ids are deterministic, so a reader can de-duplicate
 * findings a replay produced twice.
 */
import * as fs from 'node:fs';
import { once } from 'node:events';
import { DockguardError } from '../../detectors/errors';
import type { Finding } from '../../schemas/generated/finding';

export class JsonlFindings {
  private constructor(
    private readonly stream: fs.WriteStream,
    readonly path: string,
  ) {}

  /** Opens (creates or appends to) the file; fails now, not at the first finding, when it cannot be written. */
  static async open(file: string): Promise<JsonlFindings> {
    const stream = fs.createWriteStream(file, { flags: 'a' });
    try {
      await once(stream, 'open');
    } catch (e) {
      throw new DockguardError({
        stage: 'io',
        code: 'IO_WRITE',
        message: `cannot write findings to ${file}: ${(e as Error).message}`,
        cause: e,
      });
    }
    return new JsonlFindings(stream, file);
  }

  /** Resolves when the stream has room again (back-pressure instead of unbounded buffering). */
  async write(f: Finding): Promise<void> {
    if (!this.stream.write(JSON.stringify(f) + '\n')) await once(this.stream, 'drain');
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}
