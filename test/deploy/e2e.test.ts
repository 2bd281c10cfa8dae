/**
 * The pipeline as deployed: the image, built registry-free, runs the detector and the
 * indexer as containers against the local Kafka and Elasticsearch (host network: the
 * services listen on 127.0.0.1). The collector is the proxy collector's code in this
 * process (DockerProxy + KafkaAuditSink in front of the local dockerd): `dockguard
 * collect` in a container cannot publish to Kafka yet (collect-command.ts passes the
 * raw configuration to createKafkaAuditSink) and has no ops server for a readiness
 * check. Attack campaigns go through the collector; the detector container is
 * sent SIGTERM while a campaign is in flight, a second campaign arrives while no
 * detector runs, and a new detector container takes over.
 *
 * Invariant, after the fault: the single-event Sigma findings in Elasticsearch are
 * exactly those the engine finds in the published audit events (`dockguard match` on
 * the same events, the oracle): none missing, none extra; the stopped detector exited
 * 0 through its shutdown hooks; nothing went to the dead-letter topic.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { createKafkaAuditSink } from '../../pipelines/adapters/kafka-audit-sink';
import { readKafkaConfig, readSpoolConfig } from '../../pipelines/adapters/kafka-config';
import { startProxy, type ProxyHarness } from '../collectors/proxy-harness';
import { localServices, skipReason } from '../services/local-services';
import { CAMPAIGNS, type Campaign } from '../traffic/campaigns';
import { DockerClient } from '../traffic/docker-client';
import { removeContainers, runCampaign } from '../traffic/run-campaign';
import { ROOT } from './deploy-kit';
import { freePort } from '../services/free-port';

const services = localServices();
const ready = services.dockerSocket && services.kafkaBrokers && services.elasticsearchUrl;
if (!ready) console.warn(skipReason('DOCKER_HOST, KAFKA_BROKERS or ELASTICSEARCH_URL', 'all'));
const suite = ready ? describe : describe.skip;

const docker = process.env.DOCKGUARD_DOCKER_CLI || (fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');
const sfx = `${process.pid}${Math.random().toString(36).slice(2, 7)}`;
const tag = `dockguard-test/e2e-${sfx}:test`;
const topics = {
  audit: `e2e-${sfx}.audit`,
  findings: `e2e-${sfx}.findings`,
  deadLetter: `e2e-${sfx}.dead-letter`,
  changelogPrefix: `e2e-${sfx}.state.`,
};
const namespace = `e2e${sfx}`;
const containers: string[] = [];
const createdIds: string[] = [];

function dockerSync(args: string[], timeoutMs = 120_000) {
  const r = spawnSync(docker, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** docker CLI asynchronously (a `docker run -d` on vfs copies the image layer: seconds). */
function dockerAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(docker, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Thrown by a check to stop waiting at once (a container that exited will not become ready). */
class GiveUp extends Error {}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch((e: unknown) => {
      if (e instanceof GiveUp) throw e;
      return undefined;
    });
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function es(method: string, p: string, body?: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(`${services.elasticsearchUrl}${p}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await r.json()) as Record<string, unknown>;
}

interface EsFinding {
  id: string;
  kind: string;
  ruleId: string;
  eventIds: string[];
  correlation: boolean;
  ip: string | undefined;
}

async function findingsInEs(): Promise<EsFinding[]> {
  const r = await es('POST', `/logs-dockguard.findings-${namespace}*/_search?size=5000`, {
    query: { match_all: {} },
  });
  const hits = ((r.hits as { hits?: unknown[] } | undefined)?.hits ?? []) as {
    _id: string;
    _source: {
      finding?: { kind?: string };
      rule?: { id?: string };
      source?: { ip?: string };
      dockguard?: { event_ids?: string[]; correlation?: unknown };
    };
  }[];
  return hits.map((h) => ({
    id: h._id,
    kind: String(h._source.finding?.kind),
    ruleId: String(h._source.rule?.id),
    eventIds: h._source.dockguard?.event_ids ?? [],
    correlation: h._source.dockguard?.correlation !== undefined,
    ip: h._source.source?.ip,
  }));
}

/** Waits until the count of findings stops changing for `quietMs`. */
async function settledFindings(minimum: (f: EsFinding[]) => boolean, quietMs = 8000): Promise<EsFinding[]> {
  let last = -1;
  let since = Date.now();
  return until(
    'findings in Elasticsearch to settle',
    async () => {
      await es('POST', `/logs-dockguard.findings-${namespace}*/_refresh`);
      const f = await findingsInEs();
      if (f.length !== last) {
        last = f.length;
        since = Date.now();
        return undefined;
      }
      return minimum(f) && Date.now() - since >= quietMs ? f : undefined;
    },
    180_000,
  );
}

suite('end to end: collector, detector and indexer containers on real Kafka and Elasticsearch', () => {
  const kafka = new Kafka({
    brokers: (services.kafkaBrokers ?? '').split(','),
    logLevel: logLevel.NOTHING,
    clientId: 'e2e',
  });
  const admin = kafka.admin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-e2e-'));
  const ports = { detectorOps: 0, indexerOps: 0 };
  let direct: DockerClient;
  let collector: ProxyHarness | undefined;

  beforeAll(async () => {
    direct = new DockerClient({ socketPath: services.dockerSocket });
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.audit, numPartitions: 3 },
        { topic: topics.findings, numPartitions: 3 },
        { topic: topics.deadLetter, numPartitions: 1 },
      ],
    });
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
    fs.chmodSync(dir, 0o755); // read by uid 10001 in the containers
    fs.writeFileSync(
      path.join(dir, 'dockguard.yml'),
      [
        'log: { level: info }',
        `kafka: { brokers: [${services.kafkaBrokers}], clientId: e2e-${sfx}, topics: ${JSON.stringify(topics)} }`,
        `detector: { rules: [/app/sigma-rules/docker], baselines: [], intel: [], watch: false, groupId: e2e-${sfx}-detector, stateStore: detector }`,
        `indexer: { groupId: e2e-${sfx}-indexer, namespace: ${namespace} }`,
        `elasticsearch: { nodes: ['${services.elasticsearchUrl}'] }`,
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    const built = fs.existsSync(path.join(ROOT, 'dist/pipelines/cli/main.js'));
    const b = spawnSync('deploy/image/build-local.sh', [tag], {
      cwd: ROOT,
      env: { ...process.env, DOCKER: docker, COMPILE: built ? '0' : '1' },
      encoding: 'utf8',
      timeout: 540_000,
    });
    if (b.status !== 0) throw new Error(`image build failed: ${b.stderr.slice(-2000)}`);
  }, 600_000);

  afterAll(async () => {
    await collector?.close();
    for (const c of containers) dockerSync(['rm', '-f', c]);
    dockerSync(['rmi', '-f', tag]);
    await removeContainers(direct, createdIds).catch(() => undefined);
    direct.close();
    const existing = await admin.listTopics().catch(() => [] as string[]);
    await admin.deleteTopics({ topics: existing.filter((t) => t.startsWith(`e2e-${sfx}.`)) }).catch(() => undefined);
    await admin.disconnect();
    await es('DELETE', `/logs-dockguard.*-${namespace}*`).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  function runArgs(role: string, opsPort: number, extra: string[], command: string[]): string[] {
    const name = `dockguard-e2e-${sfx}-${role}`;
    containers.push(name);
    return [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--tmpfs',
      '/tmp',
      '-v',
      `${path.join(dir, 'dockguard.yml')}:/etc/dockguard/dockguard.yml:ro`,
      '-e',
      `DOCKGUARD_OPS__PORT=${opsPort}`,
      '-e',
      'DOCKGUARD_OPS__HOST=127.0.0.1',
      ...extra,
      tag,
      ...command,
      '--config',
      '/etc/dockguard/dockguard.yml',
    ];
  }

  async function startRole(role: string, opsPort: number, extra: string[], command: string[]): Promise<string> {
    const args = runArgs(role, opsPort, extra, command);
    const r = await dockerAsync(args);
    if (r.code !== 0) throw new Error(`docker run ${role}: ${r.stderr}`);
    const name = args[args.indexOf('--name') + 1]!;
    await until(
      `${role} /readyz`,
      async () => {
        const state = dockerSync(['inspect', '-f', '{{.State.Running}}', name]).stdout.trim();
        if (state === 'false') throw new GiveUp(`${role} exited: ${dockerSync(['logs', name]).stderr.slice(-3000)}`);
        const res = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
        return res.status === 200 ? true : undefined;
      },
      180_000,
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}\n${dockerSync(['logs', name]).stdout.slice(-3000)}${dockerSync(['logs', name]).stderr.slice(-3000)}`,
      );
    });
    return name;
  }

  async function attack(campaign: Campaign): Promise<void> {
    const client = new DockerClient(
      { host: '127.0.0.1', port: collector!.port },
      { localAddress: campaign.client.localAddress, userAgent: campaign.client.userAgent },
    );
    const run = await runCampaign(campaign, client).finally(() => client.close());
    createdIds.push(...Object.values(run.ids));
    // every call went through the proxy and dockerd answered (404 for images no registry can supply)
    for (const s of run.steps) expect(s.status).toBeGreaterThan(0);
  }

  test('seed attack → findings in Elasticsearch; SIGTERM to the detector loses nothing', async () => {
    const t0 = performance.now();
    const raw = {
      file: null,
      values: {
        kafka: { brokers: (services.kafkaBrokers ?? '').split(','), clientId: `e2e-${sfx}-collector`, topics },
        spool: { dir: path.join(dir, 'spool') },
      },
    };
    const logger = pino({ level: process.env.DOCKGUARD_TEST_LOG ?? 'silent' });
    const sink = await createKafkaAuditSink({ kafka: readKafkaConfig(raw), spool: readSpoolConfig(raw) }, logger);
    collector = await startProxy({ upstreamSocket: services.dockerSocket!, sink });
    await Promise.all([
      startRole('indexer', ports.indexerOps, [], ['index']),
      startRole('detector-1', ports.detectorOps, [], ['detect']),
    ]);
    const started = performance.now();

    // 1. the seed campaign, all services up
    const seed = CAMPAIGNS[0]!;
    await attack(seed);
    const afterSeed = await settledFindings((f) => f.some((x) => x.ip === seed.client.localAddress));
    expect(afterSeed.some((f) => f.ruleId === '56abf52d-f5bd-49c2-b477-30c53bfdd15d')).toBe(true); // host root bind

    // 2. SIGTERM while campaigns are in flight: the detector drains and exits 0, and
    //    the events it had not committed wait in Kafka
    const detector1 = `dockguard-e2e-${sfx}-detector-1`;
    const killed = dockerAsync(['kill', '-s', 'TERM', detector1]);
    const during = (async () => {
      for (const c of CAMPAIGNS.slice(1, 6)) await attack(c);
    })();
    expect((await killed).code).toBe(0);
    await during;
    const exit = dockerSync(['wait', detector1], 60_000);
    const logs = dockerSync(['logs', detector1]).stdout;
    expect({ exit: exit.stdout.trim(), log: logs.includes('"msg":"shutdown complete"') }).toEqual({
      exit: '0',
      log: true,
    });

    // 3. campaigns while no detector runs, then a new detector takes over the group
    for (const c of CAMPAIGNS.slice(6)) await attack(c);
    await startRole('detector-2', ports.detectorOps, [], ['detect']);

    // 4. the oracle: the engine on the very events the collector published
    const events = collector!.events;
    const file = path.join(dir, 'events.jsonl');
    fs.writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const match = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin/dockguard'), 'match', '--rules', 'sigma-rules/docker', '--events', file],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(match.status).toBe(0);
    const expected = new Set(
      match.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { event: number; rule_id: string; group?: unknown })
        .filter((m) => m.group === undefined)
        .map((m) => `${m.rule_id} ${String((events[m.event] as { event?: { id?: string } }).event?.id)}`),
    );
    expect(expected.size).toBeGreaterThan(0);
    const singleSigma = (f: EsFinding[]): Set<string> =>
      new Set(f.filter((x) => x.kind === 'sigma' && !x.correlation).map((x) => `${x.ruleId} ${x.eventIds[0]}`));
    // wait for every expected finding (or time out), then for quiet, to catch extras too
    const final = await settledFindings((f) => {
      const have = singleSigma(f);
      return [...expected].every((x) => have.has(x));
    });
    const actual = new Set(
      final.filter((f) => f.kind === 'sigma' && !f.correlation).map((f) => `${f.ruleId} ${f.eventIds[0]}`),
    );
    expect(expected.size).toBeGreaterThan(0);
    expect([...expected].filter((x) => !actual.has(x))).toEqual([]); // none missing
    expect([...actual].filter((x) => !expected.has(x))).toEqual([]); // none extra
    expect(new Set(final.map((f) => f.id)).size).toBe(final.length);

    // 5. nothing was dead-lettered
    const offsets = await admin.fetchTopicOffsets(topics.deadLetter);
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(0);
    console.log(
      `e2e: ${events.length} audit events, ${final.length} findings (${actual.size} single-event Sigma); ` +
        `containers ready in ${((started - t0) / 1000).toFixed(1)} s, whole run ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }, 900_000);
});
