/** What a `dockguard run` saw: events, findings by level and by rule, printed at the end of a replay. */
import type { Finding } from '../../schemas/generated/finding';

const ORDER = ['critical', 'high', 'medium', 'low', 'informational'];

export class RunSummary {
  events = 0;
  /** Lines or events that could not be processed (malformed JSON, a detector that threw). */
  skipped = 0;
  findings = 0;
  readonly byLevel = new Map<string, number>();
  /** rule id → title, level and count */
  readonly byRule = new Map<string, { name: string; level: string; count: number }>();

  add(f: Finding): void {
    this.findings++;
    this.byLevel.set(f.event.level, (this.byLevel.get(f.event.level) ?? 0) + 1);
    const r = this.byRule.get(f.rule.id);
    if (r) r.count++;
    else this.byRule.set(f.rule.id, { name: f.rule.name, level: f.event.level, count: 1 });
  }

  format(): string {
    const rank = (l: string): number => {
      const i = ORDER.indexOf(l);
      return i < 0 ? ORDER.length : i;
    };
    const levels = [...this.byLevel].sort((a, b) => rank(a[0]) - rank(b[0])).map(([l, n]) => `${l} ${n}`);
    const lines = [
      `${this.events} events, ${this.findings} findings${levels.length ? ` (${levels.join(', ')})` : ''}` +
        (this.skipped ? `, ${this.skipped} skipped` : ''),
    ];
    const rules = [...this.byRule].sort((a, b) => rank(a[1].level) - rank(b[1].level) || b[1].count - a[1].count);
    for (const [id, r] of rules)
      lines.push(`  ${String(r.count).padStart(5)}  ${r.level.padEnd(13)} ${r.name}  [${id}]`);
    return lines.join('\n');
  }
}
