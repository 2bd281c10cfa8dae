/**
 * An AuditSink that appends one JSON object per line to a file or stdout: the
 * collector's output when no Kafka is configured (a single host, a trial, or a
 * log shipper that tails the file). `publish` resolves when the line was handed
 * to the operating system, not when it reached the disk.
 */
import * as fs from 'fs';
import type { Writable } from 'stream';
import { DockguardError } from '../../detectors/errors';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { AuditSink } from '../collectors/audit-sink';

export class JsonlAuditSink implements AuditSink {
  private closed = false;
  private failed: Error | null = null;

  private constructor(
    private readonly out: Writable,
    private readonly owned: boolean,
  ) {
    out.on('error', (e: Error) => (this.failed = e));
  }

  /** `-` writes to stdout; anything else is a file opened for appending. */
  static open(target: string): JsonlAuditSink {
    if (target === '-') return new JsonlAuditSink(process.stdout, false);
    try {
      const fd = fs.openSync(target, 'a', 0o600);
      return new JsonlAuditSink(fs.createWriteStream('', { fd }), true);
    } catch (e) {
      throw new DockguardError({
        stage: 'io',
        code: 'IO_READ',
        message: `collector.jsonlOutput: cannot open ${target} for appending: ${(e as Error).message}`,
        cause: e,
      });
    }
  }

  accepting(): boolean {
    return !this.closed && this.failed === null;
  }

  publish(event: DockerApiEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error('audit sink is closed'));
    if (this.failed) return Promise.reject(this.failed);
    const line = JSON.stringify(event) + '\n';
    return new Promise((resolve, reject) => this.out.write(line, (e) => (e ? reject(e) : resolve())));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.owned) return;
    await new Promise<void>((resolve) => this.out.end(() => resolve()));
  }
}
