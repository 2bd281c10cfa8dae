/** Executes a campaign's steps in order through a client, filling `{name}` placeholders from saved ids. */
import type { Campaign } from './campaigns';
import { DockerClient } from './docker-client';

export interface StepResult {
  method: string;
  path: string;
  status: number;
}

export interface CampaignRun {
  campaign: string;
  steps: StepResult[];
  /** Every id saved along the way (containers and execs), for cleanup. */
  ids: Record<string, string>;
}

export async function runCampaign(campaign: Campaign, client: DockerClient): Promise<CampaignRun> {
  const ids: Record<string, string> = {};
  const steps: StepResult[] = [];
  for (const step of campaign.steps) {
    // an id a failed earlier step never produced becomes a name dockerd answers 404 for
    const path = step.path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? `missing-${name}`);
    const res = await client.call(step.method, path, step.body);
    steps.push({ method: step.method, path, status: res.status });
    if (step.save && res.status < 300) {
      const id = DockerClient.json<{ Id?: string }>(res)?.Id;
      if (id) ids[step.save] = id;
    }
  }
  return { campaign: campaign.id, steps, ids };
}

/** Force-removes containers by id or name, directly on the daemon (not through a collector). */
export async function removeContainers(direct: DockerClient, idsOrNames: Iterable<string>): Promise<void> {
  for (const id of idsOrNames) await direct.call('DELETE', `/containers/${encodeURIComponent(id)}?force=1&v=1`);
}
