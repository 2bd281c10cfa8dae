/**
 * The one logger of every service: pino, one JSON object per line on stdout, with
 * field names that do not change between services or releases, so that a log
 * pipeline (Filebeat, Fluent Bit, Kibana) parses them once:
 *
 *   time     ISO-8601 UTC with milliseconds (`2026-11-28T21:30:00.123Z`)
 *   level    the level's name (`info`), not pino's number: readable and stable
 *   service  the role that logged: collector, detector, indexer, setup, run …
 *   host     the host (pod) name
 *   msg      the message
 *   err      an error: type, message, stack, and for a DockguardError its code,
 *            stage and retriable flag (see serializeError)
 *
 * Anything else is per-call context (`topic`, `partition`, `rule_id` …).
 * Configuration section `log` (`DOCKGUARD_LOG__LEVEL=debug`).
 */
import * as os from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import { isDockguardError } from '../../detectors/errors';
import { defineSection, readSection, type RawConfig } from '../config/config';

export type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LogConfig {
  level: Level;
}

export const logSection = defineSection<LogConfig>('log', {
  type: 'object',
  additionalProperties: false,
  properties: {
    level: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      description: 'lowest level written; debug and trace are verbose on the hot path',
    },
  },
});

export type { Logger };

/**
 * A logger for one service. `config` is the loaded configuration (its `log`
 * section is read and validated here); `destination` is for tests (default stdout,
 * written synchronously so that the last lines before an exit are not lost).
 */
export function createLogger(service: string, config: RawConfig, destination?: DestinationStream): Logger {
  const { level } = readSection(config, logSection);
  return pino(
    {
      level,
      base: { service, host: os.hostname() },
      messageKey: 'msg',
      errorKey: 'err',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: serializeError, error: serializeError },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** Errors as data, with the DockguardError fields an analyst filters on; causes are followed two levels deep. */
export function serializeError(e: unknown, depth = 0): Record<string, unknown> {
  if (!(e instanceof Error)) return { type: typeof e, message: String(e) };
  const out: Record<string, unknown> = { type: e.name, message: e.message, stack: e.stack };
  if (isDockguardError(e)) {
    out.code = e.code;
    out.stage = e.stage;
    out.retriable = e.retriable;
  }
  if (e.cause !== undefined && depth < 2) out.cause = serializeError(e.cause, depth + 1);
  return out;
}
