/**
 * A minimal service wired the way every dockguard service is: logger, metrics, ops
 * server, shutdown coordinator. Run by signal.test.ts as a real process, which sends
 * it real signals. Prints `ready <port>` on stderr once it listens; hooks append
 * their names to the log. DOCKGUARD_FIXTURE_HANG=1 makes the flush hook hang.
 */
import { loadConfig, readSection } from '../../pipelines/config/config';
import { createLogger } from '../../pipelines/runtime/logger';
import { ServiceMetrics } from '../../pipelines/runtime/metrics';
import { opsSection, startOpsServer } from '../../pipelines/runtime/ops-server';
import { createShutdown } from '../../pipelines/runtime/shutdown';

async function main(): Promise<void> {
  const raw = loadConfig(null);
  const logger = createLogger('fixture', raw);
  const metrics = new ServiceMetrics('fixture', { defaultMetrics: false });
  const ops = await startOpsServer({ config: readSection(raw, opsSection), registry: metrics.registry, logger });
  ops.addReadinessCheck('work', () => true);
  const shutdown = createShutdown({ logger, deadlineMs: Number(process.env.DOCKGUARD_FIXTURE_DEADLINE_MS ?? 5000) });
  shutdown.onShutdown('stop intake', () => ops.setDraining(), 10);
  shutdown.onShutdown(
    'flush',
    () =>
      process.env.DOCKGUARD_FIXTURE_HANG === '1'
        ? new Promise(() => undefined)
        : new Promise((r) => setTimeout(r, 1500)),
    30,
  );
  shutdown.onShutdown('close ops server', () => ops.close(), 90);
  shutdown.install();
  metrics.eventsIn('fixture-topic', 7);
  process.stderr.write(`ready ${ops.port}\n`);
}

void main();
