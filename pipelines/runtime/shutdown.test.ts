import { EventEmitter } from 'node:events';
import { Shutdown } from './shutdown';

class FakeProcess extends EventEmitter {
  exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

function make(deadlineMs = 1000): { proc: FakeProcess; shutdown: Shutdown } {
  const proc = new FakeProcess();
  const shutdown = new Shutdown({ deadlineMs, process: proc });
  return { proc, shutdown };
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('shutdown coordinator', () => {
  test('SIGTERM runs the hooks by order, then registration, one after the other, and exits 0', async () => {
    const { proc, shutdown } = make();
    const trace: string[] = [];
    let inFlight = 0;
    const hook = (name: string) => async () => {
      inFlight++;
      expect(inFlight).toBe(1); // sequential, never overlapping
      await tick(5);
      trace.push(name);
      inFlight--;
    };
    shutdown.onShutdown('close-ops', hook('close-ops'), 90);
    shutdown.onShutdown('flush', hook('flush'), 30);
    shutdown.onShutdown('stop-intake', hook('stop-intake'), 10);
    shutdown.onShutdown('commit', hook('commit'), 30);
    shutdown.install();
    proc.emit('SIGTERM', 'SIGTERM');
    expect(shutdown.shuttingDown).toBe(true);
    const result = await shutdown.trigger('again');
    expect(trace).toEqual(['stop-intake', 'flush', 'commit', 'close-ops']);
    expect(result).toMatchObject({ code: 0, failed: [], skipped: [] });
    expect(proc.exits).toEqual([0]);
    expect(proc.listenerCount('SIGTERM')).toBe(0); // uninstalled after the run
  });

  test('a failing hook does not stop the later ones, and the exit code is 1', async () => {
    const { proc, shutdown } = make();
    const ran: string[] = [];
    shutdown.onShutdown(
      'a',
      () => {
        throw new Error('boom');
      },
      1,
    );
    shutdown.onShutdown('b', () => void ran.push('b'), 2);
    const result = await shutdown.trigger('test');
    expect(result).toMatchObject({ code: 1, failed: ['a'], completed: ['b'] });
    expect(ran).toEqual(['b']);
    expect(proc.exits).toEqual([1]);
  });

  test('the deadline is enforced: a hung hook is abandoned and the rest are reported skipped', async () => {
    const { proc, shutdown } = make(100);
    shutdown.onShutdown('quick', () => undefined, 1);
    shutdown.onShutdown('hangs', () => new Promise(() => undefined), 2);
    shutdown.onShutdown('never', () => undefined, 3);
    const started = Date.now();
    const result = await shutdown.trigger('test');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ code: 1, completed: ['quick'], skipped: ['hangs', 'never'] });
    expect(proc.exits).toEqual([1]);
  });

  test('a second signal while draining exits 130 at once', async () => {
    const { proc, shutdown } = make();
    shutdown.onShutdown('slow', () => tick(50));
    shutdown.install();
    proc.emit('SIGINT', 'SIGINT');
    proc.emit('SIGTERM', 'SIGTERM');
    expect(proc.exits).toEqual([130]);
    await shutdown.trigger('x');
  });

  test('trigger with a code (fatal error) exits with it when the hooks succeed', async () => {
    const { proc, shutdown } = make();
    shutdown.onShutdown('x', () => undefined);
    await shutdown.trigger('fatal', 3);
    expect(proc.exits).toEqual([3]);
  });
});
