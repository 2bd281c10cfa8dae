/**
 * Drives generated traffic through the real proxy collector (in-process, on an
 * ephemeral port, in front of the local dockerd) and hands back the audit events
 * it published; runs them through the DetectorPipeline as `dockguard run` does.
 * Shared by the scenario suites and examples/quickstart/record.ts.
 */
import { DetectorPipeline } from '../../detectors/detector-pipeline';
import { loadConfig } from '../../pipelines/config/config';
import { readDetectorConfig } from '../../pipelines/detector/detector-config';
import { loadDetectorSets } from '../../pipelines/detector/detector-sets';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { Finding } from '../../schemas/generated/finding';
import { startProxy, type ProxyHarness } from '../collectors/proxy-harness';
import type { Campaign } from './campaigns';
import { DockerClient } from './docker-client';
import { removeContainers, runCampaign, type CampaignRun } from './run-campaign';

export interface CaptureSession {
  proxy: ProxyHarness;
  /** dockerd's socket, for cleanup that must not be audited. */
  direct: DockerClient;
  close(): Promise<void>;
}

export async function startCapture(dockerSocket: string): Promise<CaptureSession> {
  const proxy = await startProxy({ upstreamSocket: dockerSocket });
  const direct = new DockerClient({ socketPath: dockerSocket });
  return {
    proxy,
    direct,
    async close() {
      await proxy.close();
      direct.close();
    },
  };
}

export interface CapturedCampaign {
  run: CampaignRun;
  events: DockerApiEvent[];
}

/**
 * Runs one campaign through the proxy from its own source address and returns the
 * events it produced; then removes what it created (containers by saved id and by
 * name, committed images) directly on the socket.
 */
export async function captureCampaign(s: CaptureSession, campaign: Campaign): Promise<CapturedCampaign> {
  const from = s.proxy.events.length;
  const client = new DockerClient({ host: '127.0.0.1', port: s.proxy.port }, { ...campaign.client, timeoutMs: 30_000 });
  let run: CampaignRun;
  try {
    run = await runCampaign(campaign, client);
  } finally {
    client.close();
  }
  // every call is published before its answer completes; wait for the last one anyway
  const expected = from + campaign.steps.length;
  for (let i = 0; i < 100 && s.proxy.events.length < expected; i++) await new Promise((r) => setTimeout(r, 50));
  const events = s.proxy.events.slice(from).filter((e) => e.source.ip === campaign.client.localAddress);
  const names = campaign.steps
    .map((st) => /[?&]name=([^&]+)/.exec(st.path)?.[1])
    .filter((n): n is string => n !== undefined);
  await removeContainers(s.direct, [...Object.values(run.ids), ...names]);
  for (const st of campaign.steps) {
    const commit = /^\/commit\?.*repo=([^&]+)(?:&tag=([^&]+))?/.exec(st.path);
    if (commit) {
      const ref = `${decodeURIComponent(commit[1]!)}:${commit[2] ?? 'latest'}`;
      await s.direct.call('DELETE', `/images/${encodeURIComponent(ref)}?force=1`);
    }
  }
  return { run, events };
}

/** The detector sets of the shipped rule pack (sigma-rules/), loaded once per process. */
let cached: ReturnType<typeof loadDetectorSets> | undefined;
export function shippedDetectorSets(): NonNullable<ReturnType<typeof loadDetectorSets>['sets']> {
  cached ??= loadDetectorSets({ ...readDetectorConfig(loadConfig(null, {})), watch: false });
  if (!cached.sets) throw new Error(cached.problems.map((p) => p.format()).join('\n'));
  return cached.sets;
}

/** All findings of the events in order, one partition, windows flushed at the end (as `dockguard run --replay`). */
export function detectAll(events: readonly unknown[]): Finding[] {
  const pipeline = new DetectorPipeline(shippedDetectorSets());
  const out: Finding[] = [];
  events.forEach((e, offset) => out.push(...pipeline.process(e, { partition: 0, offset }).findings));
  out.push(...pipeline.flush());
  return out;
}
