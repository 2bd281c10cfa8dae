/**
 * Where collectors hand finished audit events. The Kafka publisher (with its disk
 * spool) implements it for the distributed pipeline, `dockguard run` with an
 * in-process queue. A collector awaits `publish` before it considers the call
 * recorded, so a crash loses at most the events whose promise had not resolved.
 */
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';

export interface AuditSink {
  /**
   * Resolves once the event is durable: acknowledged by Kafka, or written to the
   * local spool while Kafka is unreachable. Rejects with a DockguardError
   * (SPOOL_FULL) only when the sink is configured to fail closed and cannot store it.
   */
  publish(event: DockerApiEvent): Promise<void>;
  /** False while new API calls must be denied (fail-closed policy and a full spool). */
  accepting(): boolean;
  /** Flushes what is buffered and releases connections. */
  close(): Promise<void>;
}
