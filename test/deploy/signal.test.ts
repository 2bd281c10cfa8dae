/**
 * The ops surface and the shutdown coordinator in a real process receiving real
 * signals: readiness turns to `draining` while the hooks run, liveness answers until
 * the ops server closes, the exit code says whether everything finished, and the
 * log lines carry the stable field names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { ROOT } from './deploy-kit';

const fixture = path.join(__dirname, 'signal-fixture.ts');

interface Running {
  child: ChildProcess;
  port: number;
  stdout: () => string;
  exited: Promise<number | null>;
}

function start(env: NodeJS.ProcessEnv = {}): Promise<Running> {
  // node --import tsx: one process (the tsx CLI would put a signal-relaying parent in between)
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: ROOT,
    env: { ...process.env, DOCKGUARD_OPS__HOST: '127.0.0.1', DOCKGUARD_OPS__PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fixture did not start: ${err}`)), 60_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString('utf8');
      const m = /ready (\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), stdout: () => out, exited });
      }
    });
    child.on('exit', () => reject(new Error(`fixture exited early: ${err}`)));
  });
}

async function status(port: number, p: string): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${p}`)).status;
  } catch {
    return -1; // closed
  }
}

const logLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('a service process under SIGTERM', () => {
  test('drains: readiness 503 during the hooks, liveness still 200, exit 0, hooks in order', async () => {
    const svc = await start();
    expect(await status(svc.port, '/readyz')).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${svc.port}/metrics`)).text();
    expect(metrics).toContain('dockguard_events_in_total{topic="fixture-topic",service="fixture"} 7');
    svc.child.kill('SIGTERM');
    // the flush hook takes 1.5 s: meanwhile readiness says draining and liveness holds
    await new Promise((r) => setTimeout(r, 150));
    expect(await status(svc.port, '/readyz')).toBe(503);
    expect(await status(svc.port, '/healthz')).toBe(200);
    expect(await svc.exited).toBe(0);
    const lines = logLines(svc.stdout());
    for (const l of lines) {
      expect(l).toMatchObject({ service: 'fixture' });
      expect(typeof l.time).toBe('string');
      expect(typeof l.level).toBe('string');
      expect(typeof l.msg).toBe('string');
    }
    const begun = lines.find((l) => l.msg === 'shutting down');
    expect(begun?.hooks).toEqual(['stop intake', 'flush', 'close ops server']);
    expect(lines.find((l) => l.msg === 'shutdown complete')).toMatchObject({ code: 0, failed: [] });
  }, 90_000);

  test('a hook that hangs is cut off at the deadline: exit 1 and the skipped hooks are logged', async () => {
    const svc = await start({ DOCKGUARD_FIXTURE_HANG: '1', DOCKGUARD_FIXTURE_DEADLINE_MS: '500' });
    const t0 = performance.now();
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(1);
    expect(performance.now() - t0).toBeLessThan(10_000);
    const skipped = logLines(svc.stdout()).find((l) => String(l.msg).startsWith('shutdown deadline passed'));
    expect(skipped).toMatchObject({ level: 'error', skipped: ['flush', 'close ops server'] });
  }, 90_000);

  test('a second signal exits at once with 130', async () => {
    const svc = await start({ DOCKGUARD_FIXTURE_HANG: '1', DOCKGUARD_FIXTURE_DEADLINE_MS: '60000' });
    svc.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    svc.child.kill('SIGINT');
    expect(await svc.exited).toBe(130);
  }, 90_000);
});
