/**
 * Records examples/quickstart/recorded-traffic.jsonl: a few hundred calls of
 * legitimate Docker API use (test/traffic/benign-traffic.ts) with the seed
 * article's attack and three other campaigns mixed in, all through the real
 * proxy collector in front of a dockerd, captured as audit events (JSON Lines).
 *
 *   set -a; eval "$(deploy/local/services.sh env)"; set +a
 *   npx tsx examples/quickstart/record.ts [output.jsonl] [benign calls]
 *
 * Then: bin/dockguard run --replay examples/quickstart/recorded-traffic.jsonl
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { JsonlAuditSink } from '../../pipelines/adapters/jsonl-audit-sink';
import { startProxy } from '../../test/collectors/proxy-harness';
import { generateBenignTraffic } from '../../test/traffic/benign-traffic';
import { CAMPAIGNS } from '../../test/traffic/campaigns';
import { DockerClient } from '../../test/traffic/docker-client';
import { removeContainers, runCampaign } from '../../test/traffic/run-campaign';

const MIXED_IN = ['seed-xmrig-chroot', 'teamtnt-ssh-key-implant', 'xmrig-miner-image', 'lateral-discovery-exec'];

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, 'recorded-traffic.jsonl'));
  const calls = Number(process.argv[3] ?? 300);
  const host = process.env.DOCKER_HOST ?? '';
  if (!host.startsWith('unix://')) throw new Error('set DOCKER_HOST=unix:///path/to/docker.sock (deploy/local/services.sh env)');
  const socket = host.slice('unix://'.length);
  fs.rmSync(out, { force: true });
  const sink = JsonlAuditSink.open(out);
  const proxy = await startProxy({ upstreamSocket: socket, sink });
  const direct = new DockerClient({ socketPath: socket });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-quickstart-'));
  const created: string[] = [];
  try {
    const benign = generateBenignTraffic({
      target: { host: '127.0.0.1', port: proxy.port },
      calls,
      image: process.env.DOCKGUARD_TEST_IMAGE ?? 'alpine:latest',
      workDir,
      namePrefix: 'quickstart',
    });
    // the attacks start while the legitimate clients are busy, one after another
    const attacks = (async () => {
      for (const id of MIXED_IN) {
        await new Promise((r) => setTimeout(r, 4_000));
        const campaign = CAMPAIGNS.find((c) => c.id === id);
        if (!campaign) throw new Error(`no campaign ${id}`);
        const client = new DockerClient({ host: '127.0.0.1', port: proxy.port }, campaign.client);
        try {
          const run = await runCampaign(campaign, client);
          created.push(...Object.values(run.ids));
          process.stderr.write(`${id}: ${run.steps.map((s) => s.status).join(' ')}\n`);
        } finally {
          client.close();
        }
      }
    })();
    const [stats] = await Promise.all([benign, attacks]);
    process.stderr.write(`benign: ${stats.calls} calls ${JSON.stringify(stats.byRole)}\n`);
  } finally {
    await removeContainers(direct, [...created, 'victim-app', 'systemd-journal']);
    await proxy.close();
    await sink.close();
    direct.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  process.stderr.write(`${proxy.events.length} audit events written to ${out}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
