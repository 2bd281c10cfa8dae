/**
 * Latency the authorization-plugin collector adds to a Docker API call: two
 * private dockerds started the same way, one with `--authorization-plugin`
 * (our plugin, in its own process as deployed: the default deny policy, the
 * real event builder, an in-memory sink that is drained) and one without;
 * the same calls to both, interleaved one by one so machine noise hits both.
 * dockerd calls the plugin twice per call (request and response phase).
 *
 *   npm run bench -- authz-latency [--calls 300] [--trivial]
 *
 * `--trivial` puts an allow-all plugin that records nothing in ours' place: the
 * difference between the two runs is what dockguard itself costs per call.
 *
 * Needs root (it starts dockerd) and the shared test dockerd for the image
 * (DOCKER_HOST=unix://…, as deploy/local/services.sh env prints).
 * Reference (FACTS.md): ~2.2–2.4 ms per call with a trivial plugin vs ~0.7 ms without.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import pino from 'pino';
import { AuthzPlugin } from '../pipelines/adapters/docker-authz-plugin';
import { createEventBuilder } from '../pipelines/collectors/event-builder';
import { MemoryAuditSink } from '../pipelines/collectors/memory-audit-sink';
import { createRedactor } from '../pipelines/collectors/normalize/redact';
import { importTinyImage, newAuthzRun, startAuthzDockerd, type AuthzDockerd } from '../test/services/authz-dockerd';
import { defaultDenyPolicy } from './default-policy';
import { environment, table } from './harness';
import { keepAliveRequest, quantile } from './http-client';

async function timed(f: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Child mode, `--trivial`: a plugin that allows everything and records nothing, the
 * reference for what the protocol itself costs (FACTS.md measured ~1.5 ms a call).
 */
function serveTrivialPlugin(socketPath: string): void {
  fs.rmSync(socketPath, { force: true });
  http
    .createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' });
        res.end(req.url === '/Plugin.Activate' ? '{"Implements":["authz"]}' : '{"Allow":true}');
      });
    })
    .listen(socketPath, () => process.stdout.write('READY\n'));
  process.on('SIGTERM', () => process.exit(0));
}

/** Child mode: the plugin with the default policy; prints READY and counts what it published. */
async function servePlugin(socketPath: string): Promise<void> {
  const policy = defaultDenyPolicy();
  const sink = new MemoryAuditSink(100_000);
  const redactor = createRedactor(randomBytes(32));
  const plugin = new AuthzPlugin({
    socketPath,
    pluginName: 'bench',
    collectorId: 'bench',
    hostName: 'bench',
    policy,
    sink,
    buildEvent: createEventBuilder({ redactor }),
    logger: pino({ level: 'warn' }, pino.destination(2)),
    pendingTimeoutMs: 60_000,
    maxPending: 10_000,
  });
  await plugin.listen();
  const cpu0 = process.cpuUsage();
  void (async () => {
    for await (const _ of sink) void _;
  })();
  process.stdout.write('READY\n');
  process.on(
    'SIGTERM',
    () =>
      void plugin.close().then(() => {
        const cpu = process.cpuUsage(cpu0);
        const calls = Math.max(1, plugin.stats.requests);
        process.stderr.write(
          `plugin stats: ${JSON.stringify(plugin.stats)}; CPU ${((cpu.user + cpu.system) / 1000 / calls).toFixed(3)} ms per call (both phases, publish included)\n`,
        );
        process.exit(0);
      }),
  );
}

function startPluginProcess(socketPath: string, trivial: boolean): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    // its own process group: a Ctrl-C must reach the bench (which stops dockerd first), not the plugin
    const child = spawn(
      process.execPath,
      [__filename, '--serve-plugin', '--socket', socketPath, ...(trivial ? ['--trivial'] : [])],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        detached: true,
      },
    );
    child.stdout!.on('data', (c: Buffer) => {
      if (c.toString().includes('READY')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`plugin process exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  if (args.includes('--serve-plugin'))
    return args.includes('--trivial')
      ? serveTrivialPlugin(arg('--socket') as string)
      : servePlugin(arg('--socket') as string);
  const trivial = args.includes('--trivial');
  const calls = Number(arg('--calls') ?? 300);
  const shared = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice(7) : undefined;
  if (!shared) throw new Error('set DOCKER_HOST=unix://… (deploy/local/services.sh env): the test image comes from it');
  const testImage = process.env.DOCKGUARD_TEST_IMAGE || 'dockguard-test/busybox:latest';

  const withRun = newAuthzRun();
  const withoutRun = newAuthzRun();
  const plugin = await startPluginProcess(withRun.pluginSocket, trivial);
  let withPlugin: AuthzDockerd | undefined;
  let without: AuthzDockerd | undefined;
  const cleanup = async (): Promise<void> => {
    // dockerd before its plugin: without the plugin it would hang every call
    await withPlugin?.stop();
    await without?.stop();
    if (plugin.exitCode === null) {
      plugin.kill('SIGTERM');
      await new Promise((r) => plugin.once('exit', r));
    }
  };
  // an interrupted run must not leave two dockerds (one hanging on a dead plugin) behind
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void cleanup().finally(() => process.exit(130)));
  try {
    withPlugin = await startAuthzDockerd(withRun, {
      sharedDockerSocket: shared,
      testImage,
      dataOnTmpfs: true,
    });
    without = await startAuthzDockerd(withoutRun, {
      sharedDockerSocket: shared,
      testImage,
      withPlugin: false,
      dataOnTmpfs: true,
    });
    await importTinyImage(withRun.dir, [withPlugin, without]);
    const targets = [
      { name: 'plugin', call: keepAliveRequest({ socketPath: withPlugin.socketPath }) },
      { name: 'none', call: keepAliveRequest({ socketPath: without.socketPath }) },
    ] as const;
    type Name = (typeof targets)[number]['name'];
    const series = () => ({ plugin: [] as number[], none: [] as number[] });
    const list = series();
    const create = series();
    const remove = series();
    for (let i = 0; i < 50; i++) for (const t of targets) await t.call('GET', '/v1.41/containers/json');
    for (let i = 0; i < calls; i++) {
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) list[t.name as Name].push(await timed(() => t.call('GET', '/v1.41/containers/json')));
    }
    const body = JSON.stringify({
      Image: 'dockguard-bench/tiny:latest',
      Cmd: ['/true'],
      Env: ['A=1'],
      HostConfig: { NetworkMode: 'none', Binds: ['/tmp:/tmp:ro'] },
    });
    for (let i = 0; i < calls; i++) {
      const order = i % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        let id = '';
        create[t.name as Name].push(
          await timed(async () => {
            const r = await t.call('POST', '/v1.41/containers/create', body);
            if (r.status !== 201) throw new Error(`create (${t.name}): ${r.status} ${r.body}`);
            id = (JSON.parse(r.body) as { Id: string }).Id;
          }),
        );
        remove[t.name as Name].push(
          await timed(async () => {
            const r = await t.call('DELETE', `/v1.41/containers/${id}?force=1`);
            if (r.status !== 204) throw new Error(`remove (${t.name}): ${r.status} ${r.body}`);
          }),
        );
      }
    }
    const f = (x: number): string => x.toFixed(3);
    const rows = (
      [
        ['GET /containers/json', list],
        ['POST /containers/create', create],
        ['DELETE /containers/{id}', remove],
      ] as const
    ).map(([label, s]) => {
      const n = [...s.none].sort((a, b) => a - b);
      const p = [...s.plugin].sort((a, b) => a - b);
      return [
        label,
        String(n.length),
        f(quantile(n, 0.5)),
        f(quantile(n, 0.99)),
        f(quantile(p, 0.5)),
        f(quantile(p, 0.99)),
        f(quantile(p, 0.5) - quantile(n, 0.5)),
        f(quantile(p, 0.99) - quantile(n, 0.99)),
      ];
    });
    process.stdout.write(
      [
        trivial
          ? 'authz protocol cost: a trivial allow-all plugin (records nothing) vs the same dockerd without a plugin'
          : 'collector latency: authz plugin (own process, default deny policy) vs the same dockerd without a plugin',
        ...environment(),
        '',
        table(
          ['call', 'calls', 'none p50 ms', 'none p99 ms', 'plugin p50 ms', 'plugin p99 ms', 'added p50', 'added p99'],
          rows,
          [false, true, true, true, true, true, true, true],
        ),
        '',
      ].join('\n'),
    );
  } finally {
    await cleanup();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`authz-latency: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
