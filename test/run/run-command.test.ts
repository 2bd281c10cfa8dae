/**
 * `dockguard run`: replay of the quick start's recorded sample through the built
 * CLI (findings file, summary, determinism), the state snapshot carrying
 * correlation windows across a restart, and live mode in front of the real
 * dockerd (proxy collector → detectors → console and file, SIGTERM saves state).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../pipelines/config/config';
import { readDetectorConfig } from '../../pipelines/detector/detector-config';
import type { FindingsOutput } from '../../pipelines/run/findings-output';
import { RunPipeline } from '../../pipelines/run/run-pipeline';
import type { Finding } from '../../schemas/generated/finding';
import { localServices, skipReason } from '../services/local-services';
import { CAMPAIGNS } from '../traffic/campaigns';
import { DockerClient } from '../traffic/docker-client';
import { removeContainers, runCampaign } from '../traffic/run-campaign';
import { shippedDetectorSets } from '../traffic/proxy-capture';
import { freePort } from '../services/free-port';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'dockguard');
const sample = path.join(root, 'examples/quickstart/recorded-traffic.jsonl');
const built = fs.existsSync(path.join(root, 'dist', 'pipelines', 'cli', 'main.js'));
const describeCli = built ? describe : describe.skip;
const seed = CAMPAIGNS.find((c) => c.id === 'seed-xmrig-chroot')!;

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-run-'));
}

function readFindings(file: string): Finding[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Finding);
}

describeCli('dockguard run --replay (built CLI)', () => {
  it('replays the quick start sample: the seed attack is found, the file holds every finding, exit 0', () => {
    const dir = tmpDir();
    const out = path.join(dir, 'findings.jsonl');
    const r = spawnSync(process.execPath, [bin, 'run', '--replay', sample, '--findings-out', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    const findings = readFindings(out);
    const summary = /^(\d+) events, (\d+) findings/m.exec(r.stdout);
    expect(summary).not.toBeNull();
    expect(Number(summary![1])).toBe(fs.readFileSync(sample, 'utf8').trim().split('\n').length);
    expect(Number(summary![2])).toBe(findings.length);
    const fromSeed = new Set(findings.filter((f) => f.source.ip === seed.client.localAddress).map((f) => f.rule.id));
    for (const id of seed.expectedRules) expect({ id, found: fromSeed.has(id) }).toEqual({ id, found: true });
    // the console shows each finding with its rule title and the attacker's client
    expect(r.stdout).toContain('Container Created With The Host Root Filesystem Mounted Writable');
    expect(r.stdout).toMatch(/127\.0\.0\.66 POST \/containers\/create .*dockguard\.container\.binds=\/:\/mnt/);
    // no colour codes when stdout is not a terminal
    expect(r.stdout).not.toContain('\x1b[');

    // a replay is deterministic: same findings, same ids, same created times
    const again = path.join(dir, 'again.jsonl');
    const r2 = spawnSync(process.execPath, [bin, 'run', '--replay', sample, '--findings-out', again, '--quiet'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r2.status).toBe(0);
    // (finding.detector names the process instance: not compared)
    const key = (f: Finding) => `${f.finding.id} ${f.finding.created} ${f.timestamp}`;
    expect(readFindings(again).map(key)).toEqual(findings.map(key));
    expect(r2.stdout).not.toContain('127.0.0.66 POST');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts malformed lines and goes on; a missing file is an error, exit 2', () => {
    const dir = tmpDir();
    const bad = path.join(dir, 'events.jsonl');
    const lines = fs.readFileSync(sample, 'utf8').trim().split('\n').slice(0, 20);
    fs.writeFileSync(bad, [lines[0], 'not json', '[1]', ...lines.slice(1)].join('\n') + '\n');
    const r = spawnSync(process.execPath, [bin, 'run', '--replay', bad, '--quiet'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`${bad}:2: skipped malformed event`);
    expect(r.stdout).toMatch(/^20 events, \d+ findings.*, 2 skipped$/m);
    const missing = spawnSync(process.execPath, [bin, 'run', '--replay', path.join(dir, 'nope.jsonl')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('IO_READ');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('RunPipeline state snapshot', () => {
  const events = fs
    .readFileSync(sample, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
  const detector = { ...readDetectorConfig(loadConfig(null, {})), watch: false };
  const logger = pino({ level: 'silent' });
  const collect = (into: Finding[]): FindingsOutput => ({
    name: 'test',
    write: (f) => void into.push(f),
    close: () => Promise.resolve(),
  });

  it('a restart from the snapshot yields exactly the findings of an uninterrupted run', async () => {
    const whole: Finding[] = [];
    const a = new RunPipeline({ sets: shippedDetectorSets(), detector, outputs: [collect(whole)], logger });
    for (const e of events) await a.process(e);
    await a.flush();

    const file = path.join(tmpDir(), 'state.snapshot');
    const split: Finding[] = [];
    // cut inside the lateral-movement campaign: its correlations span the restart
    const cut = events.findIndex((e) => JSON.stringify(e).includes('"ip":"127.0.0.74"')) + 3;
    expect(cut).toBeGreaterThan(3);
    const first = new RunPipeline({
      sets: shippedDetectorSets(),
      detector,
      outputs: [collect(split)],
      logger,
      snapshotFile: file,
    });
    expect(first.loadSnapshot()).toBe(false);
    for (const e of events.slice(0, cut)) await first.process(e);
    first.saveSnapshot();
    const second = new RunPipeline({
      sets: shippedDetectorSets(),
      detector,
      outputs: [collect(split)],
      logger,
      snapshotFile: file,
    });
    expect(second.loadSnapshot()).toBe(true);
    for (const e of events.slice(cut)) await second.process(e);
    await second.flush();

    expect(whole.some((f) => f.finding.kind === 'correlation' && f.source.ip === '127.0.0.74')).toBe(true);
    expect(split.map((f) => f.finding.id).sort()).toEqual(whole.map((f) => f.finding.id).sort());
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('refuses a damaged snapshot instead of starting with empty state', () => {
    const file = path.join(tmpDir(), 'state.snapshot');
    fs.writeFileSync(file, 'DGS1 not gzip');
    const p = new RunPipeline({ sets: shippedDetectorSets(), detector, outputs: [], logger, snapshotFile: file });
    expect(() => p.loadSnapshot()).toThrow(/snapshot is damaged/);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('a failing output is logged and does not stop detection or the other outputs', async () => {
    const got: Finding[] = [];
    const broken: FindingsOutput = {
      name: 'broken',
      write: () => Promise.reject(new Error('disk full')),
      close: () => Promise.resolve(),
    };
    const p = new RunPipeline({ sets: shippedDetectorSets(), detector, outputs: [broken, collect(got)], logger });
    for (const e of events) await p.process(e);
    expect(got.length).toBe(p.summary.findings);
    expect(got.length).toBeGreaterThan(0);
  });
});

const { dockerSocket } = localServices();
const describeLive = built && dockerSocket ? describe : describe.skip;

describeLive(dockerSocket ? 'dockguard run in front of dockerd (live)' : skipReason('DOCKER_HOST', 'dockerd'), () => {
  it('detects the seed attack as it happens; SIGTERM drains, writes the file and the snapshot, exit 0', async () => {
    const dir = tmpDir();
    const port = await freePort();
    const findingsOut = path.join(dir, 'findings.jsonl');
    const snapshot = path.join(dir, 'state.snapshot');
    const config = path.join(dir, 'dockguard.yml');
    fs.writeFileSync(
      config,
      [
        'collector:',
        '  mode: proxy',
        `  proxy: { listen: { host: 127.0.0.1, port: ${port} }, upstreamSocket: ${dockerSocket}, shutdownGraceSeconds: 2 }`,
        'run:',
        `  findingsOut: ${findingsOut}`,
        `  snapshotFile: ${snapshot}`,
        'detector:',
        '  watch: false',
        'log: { level: warn }',
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [bin, 'run', '--config', config], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const client = new DockerClient({ host: '127.0.0.1', port }, seed.client);
    const direct = new DockerClient({ socketPath: dockerSocket! });
    let ids: string[] = [];
    try {
      // the proxy is listening once a call goes through
      for (let i = 0; ; i++) {
        try {
          if ((await client.call('GET', '/_ping')).status === 200) break;
        } catch (e) {
          if (i > 100) throw new Error(`dockguard run did not listen: ${stderr}`, { cause: e });
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const run = await runCampaign(seed, client);
      ids = Object.values(run.ids);
      for (let i = 0; i < 100 && !stdout.includes('Container Command Chroots Into A Mounted Host Path'); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(stdout).toContain('Container Command Chroots Into A Mounted Host Path');
    } finally {
      client.close();
      await removeContainers(direct, ids);
      direct.close();
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const findings = readFindings(findingsOut);
    const fired = new Set(findings.map((f) => f.rule.id));
    for (const id of seed.expectedRules) expect({ id, found: fired.has(id) }).toEqual({ id, found: true });
    expect(fs.statSync(snapshot).size).toBeGreaterThan(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
