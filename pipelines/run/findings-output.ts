/** Where `dockguard run` sends findings: the console, a JSON Lines file, Elasticsearch. */
import type { Finding } from '../../schemas/generated/finding';

export interface FindingsOutput {
  /** For logs: `console`, `jsonl`, `elasticsearch`. */
  readonly name: string;
  /** May apply back-pressure by returning a promise; a failure is logged by the caller, never fatal. */
  write(f: Finding): void | Promise<void>;
  /** Flushes what is buffered. */
  close(): Promise<void>;
}
