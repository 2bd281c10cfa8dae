/**
 * Starts the authorization-plugin collector from the configuration: the plugin
 * server on `collector.authz.socket`, its spec file, the deny policy (`policy`
 * section). `dockguard collect` registers it as the `authz` runner.
 *
 * Order matters at both ends: the plugin must answer before dockerd starts
 * (dockerd will not start without it), and dockerd must stop before the plugin
 * (without it every call hangs ~45 s). `stop` leaves the spec file in place so a
 * restarting dockerd keeps failing closed instead of silently running unaudited.
 */
import type { Logger } from 'pino';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { AuditSink } from '../collectors/audit-sink';
import type { CallPolicy } from '../collectors/call-policy';
import type { CapturedCall } from '../collectors/captured-call';
import type { CollectorConfig } from '../collectors/collector-config';
import { loadDenyPolicy } from '../collectors/policy-config';
import type { RawConfig } from '../config/config';
import type { ServiceMetrics } from '../runtime/metrics';
import { AuthzPlugin } from './docker-authz-plugin';
import { writeSpecFile } from './docker-authz-spec';

export interface RunningAuthzCollector {
  plugin: AuthzPlugin;
  stop(): Promise<void>;
}

export async function startAuthzCollector(
  raw: RawConfig,
  cfg: CollectorConfig,
  deps: {
    sink: AuditSink;
    logger: Logger;
    buildEvent: (call: CapturedCall) => DockerApiEvent;
    metrics?: ServiceMetrics | undefined;
    /** Defaults to the `policy` section; tests pass their own. */
    policy?: CallPolicy;
  },
): Promise<RunningAuthzCollector> {
  const a = cfg.authz;
  const policy = deps.policy ?? loadDenyPolicy(raw);
  const plugin = new AuthzPlugin({
    socketPath: a.socket,
    pluginName: a.pluginName,
    collectorId: cfg.id,
    hostName: cfg.hostName,
    policy,
    sink: deps.sink,
    buildEvent: deps.buildEvent,
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    pendingTimeoutMs: a.pendingTimeoutSeconds * 1000,
    maxPending: a.maxPending,
  });
  await plugin.listen();
  if (a.specDir !== null) {
    const file = writeSpecFile(a.specDir, a.pluginName, a.socket);
    deps.logger.info(
      { spec: file, plugin: a.pluginName },
      `start dockerd with --authorization-plugin=${a.pluginName} (or "authorization-plugins" in daemon.json)`,
    );
  }
  return {
    plugin,
    stop: async () => {
      await plugin.close();
      deps.logger.info({ stats: plugin.stats }, 'authorization plugin stopped');
    },
  };
}
