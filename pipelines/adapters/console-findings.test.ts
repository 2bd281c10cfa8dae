import { Writable } from 'node:stream';
import type { Finding } from '../../schemas/generated/finding';
import { ConsoleFindings, formatFinding } from './console-findings';

function finding(level: string, matched: Array<{ field: string; value: string }>): Finding {
  return {
    timestamp: Date.parse('2026-11-28T10:00:05Z'),
    finding: { id: 'f1', kind: 'sigma', created: 0, detector: 'd' },
    event: { severity: 73, risk_score: 73, level },
    rule: { id: 'r1', name: 'Host Root Bind', version: 'v', description: null, reference: [], tags: [], ruleset: null },
    threat: { framework: 'MITRE ATT&CK', tactic: { id: [], name: [] }, technique: { id: [], name: [] } },
    message: 'm',
    source: { ip: '203.0.113.7', port: 1 },
    host: { name: null },
    user: { name: null },
    http: { request: { method: 'POST' } },
    url: { path: '/v1.41/containers/create', original: null },
    container: { id: null, image: { name: null } },
    process: { command_line: null },
    dockguard: {
      endpoint: '/containers/create',
      client_key: '203.0.113.7',
      event_ids: ['e1'],
      event_count: 1,
      matched,
      correlation: null,
      baseline: null,
      intel: null,
      collector: { id: null, mode: null },
    },
  };
}

class Sink extends Writable {
  text = '';
  isTTY = false;
  override _write(c: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += c.toString();
    cb();
  }
}

describe('console findings view', () => {
  it('two lines: time, level, rule; client, method, endpoint and the matched parameters', () => {
    const text = formatFinding(
      finding('high', [
        { field: 'dockguard.endpoint', value: '/containers/create' },
        { field: 'dockguard.container.binds', value: '/:/mnt' },
      ]),
      { colour: false, utc: true },
    );
    expect(text.split('\n')).toEqual([
      '10:00:05 HIGH     Host Root Bind (sigma)',
      '         203.0.113.7 POST /containers/create  dockguard.container.binds=/:/mnt',
    ]);
  });

  it('attacker-chosen control characters never reach the terminal, long values are cut', () => {
    const text = formatFinding(
      finding('high', [{ field: 'process.command_line', value: `a\x1b[2Jb\n${'x'.repeat(500)}` }]),
      {
        colour: false,
        utc: true,
      },
    );
    expect(text).not.toContain('\x1b');
    expect(text.split('\n')).toHaveLength(2);
    expect(text.length).toBeLessThan(300);
  });

  it('colours only on a TTY, and hides findings below the minimum level', () => {
    const plain = new Sink();
    const view = new ConsoleFindings({ out: plain, minLevel: 'medium', utc: true });
    view.write(finding('low', []));
    view.write(finding('critical', []));
    expect(view.hidden).toBe(1);
    expect(plain.text).toContain('CRITICAL');
    expect(plain.text).not.toContain('\x1b');
    const tty = new Sink();
    tty.isTTY = true;
    new ConsoleFindings({ out: tty, colour: true }).write(finding('high', []));
    expect(tty.text).toContain('\x1b[31m');
  });
});
