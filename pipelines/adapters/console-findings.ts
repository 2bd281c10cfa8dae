/**
 * The live console view of `dockguard run`: two lines per finding, for a person
 * watching a terminal (machines read the JSON Lines file or Elasticsearch).
 *
 *   10:00:05 HIGH     Container create with the host root bind-mounted writable (sigma)
 *            127.0.0.66 POST /containers/create  dockguard.container.binds=/:/mnt
 *
 * Colours only when the stream is a TTY (and NO_COLOR is unset, no-color.org),
 * so a redirected log stays plain text.
 */
import type { Finding } from '../../schemas/generated/finding';

export const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type Level = (typeof LEVELS)[number];

const COLOURS: Record<Level, string> = {
  informational: '\x1b[2m',
  low: '\x1b[36m',
  medium: '\x1b[33m',
  high: '\x1b[31m',
  critical: '\x1b[1;97;41m',
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** A matched value longer than this is cut: one finding must stay one screen line or two. */
const MAX_VALUE = 120;
const MAX_MATCHED = 4;

export interface ConsoleFindingsOptions {
  out?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Findings below this level are counted but not shown. */
  minLevel?: Level;
  colour?: boolean;
  /** Render times in UTC (recorded samples read the same everywhere). */
  utc?: boolean;
}

export function levelRank(level: string): number {
  const i = LEVELS.indexOf(level as Level);
  return i < 0 ? 0 : i;
}

export class ConsoleFindings {
  private readonly out: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly colour: boolean;
  private readonly min: number;
  hidden = 0;

  constructor(private readonly o: ConsoleFindingsOptions = {}) {
    this.out = o.out ?? process.stdout;
    this.colour = o.colour ?? (this.out.isTTY === true && !process.env.NO_COLOR);
    this.min = levelRank(o.minLevel ?? 'informational');
  }

  write(f: Finding): void {
    if (levelRank(f.event.level) < this.min) {
      this.hidden++;
      return;
    }
    this.out.write(formatFinding(f, { colour: this.colour, utc: this.o.utc ?? false }) + '\n');
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function formatFinding(f: Finding, o: { colour: boolean; utc: boolean }): string {
  const d = new Date(f.timestamp);
  const time = Number.isFinite(d.getTime())
    ? o.utc
      ? d.toISOString().slice(11, 19)
      : d.toTimeString().slice(0, 8)
    : '--:--:--';
  const level = f.event.level.toUpperCase().padEnd(8);
  const lvl = o.colour ? `${COLOURS[f.event.level as Level] ?? ''}${level}${RESET}` : level;
  const head = `${time} ${lvl} ${oneLine(f.rule.name)} (${f.finding.kind})`;
  const where = [f.dockguard.client_key, f.http.request.method, f.dockguard.endpoint ?? f.url.path]
    .filter((x): x is string => typeof x === 'string' && x !== '')
    .join(' ');
  const details = detailsOf(f);
  const second = `${' '.repeat(9)}${where}${details ? '  ' + details : ''}`;
  return `${head}\n${o.colour ? DIM + second + RESET : second}`;
}

function detailsOf(f: Finding): string {
  const d = f.dockguard;
  // the client and the endpoint are on the line already
  const matched = d.matched.filter((m) => m.field !== 'dockguard.endpoint' && m.field !== 'source.ip');
  if (matched.length > 0) {
    const shown = matched.slice(0, MAX_MATCHED).map((m) => `${m.field}=${cut(oneLine(m.value))}`);
    if (matched.length > MAX_MATCHED) shown.push(`(+${matched.length - MAX_MATCHED} more)`);
    return shown.join('  ');
  }
  if (d.baseline) return `${d.baseline.kind}: ${cut(oneLine(d.baseline.observed))} for ${cut(d.baseline.key)}`;
  if (d.correlation) return `${d.correlation.type} over ${d.event_count} events, group ${cut(d.correlation.group)}`;
  if (d.intel) return `${d.intel.type} ${cut(d.intel.indicator)} in ${d.intel.field} (${d.intel.source})`;
  return '';
}

/** Control characters from attacker-chosen values must not drive the terminal. */
function oneLine(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => (c === '\n' ? '⏎' : '·'));
}

function cut(s: string): string {
  return s.length > MAX_VALUE ? s.slice(0, MAX_VALUE - 1) + '…' : s;
}
