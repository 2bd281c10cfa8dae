// `dockguard collect` as an operator runs it (the CLI entry point on the sources,
// through tsx): configuration → proxy → JSON Lines sink; SIGTERM finishes the
// calls in flight (an open `docker events` stream is cut after the grace period
// and still recorded), flushes the sink and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AvroCodec } from '../../pipelines/codec/avro-codec';
import { AUDIT_SUBJECT } from '../../pipelines/adapters/kafka-audit-sink';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { deleteTopics, ensureTopics } from '../../pipelines/adapters/kafka-admin';
import { consumeAll, logger, testKafkaConfig, uniqueSuffix } from '../kafka/kafka-test-kit';
import { localServices, skipReason } from '../services/local-services';
import { docker } from './docker-cli';

const services = localServices();
const socket = services.dockerSocket;
const root = path.resolve(__dirname, '../..');

function startCollect(configFile: string): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'pipelines/cli/main.ts', 'collect', '--config', configFile],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKGUARD_COLLECTOR__HOST_NAME: 'docker-test-host' },
    },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function until<T>(f: () => T | undefined, what: string, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

(socket ? describe : describe.skip)(
  socket ? 'dockguard collect (proxy mode)' : skipReason('DOCKER_HOST', 'dockerd'),
  () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-collect-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('records calls as JSON Lines and on SIGTERM finishes in-flight calls, flushes and exits 0', async () => {
      const events = path.join(dir, 'events.jsonl');
      const key = path.join(dir, 'redaction.key');
      fs.writeFileSync(key, 'k'.repeat(32));
      const config = path.join(dir, 'collect.yml');
      fs.writeFileSync(
        config,
        [
          'collector:',
          '  id: collect-test',
          `  redactionKeyFile: ${key}`,
          `  jsonlOutput: ${events}`,
          '  proxy:',
          '    listen: { host: 127.0.0.1, port: 0 }',
          `    upstreamSocket: ${socket}`,
          '    shutdownGraceSeconds: 1',
          'ops:',
          '  host: 127.0.0.1',
          '  port: 0',
          '',
        ].join('\n'),
      );
      const c = startCollect(config);
      const port = await until(() => /"port":(\d+)[^\n]*Docker API proxy listening/.exec(c.output())?.[1], 'listening');
      const target = { host: `tcp://127.0.0.1:${port}` };
      const ps = await docker(target, ['ps', '-a', '-q']);
      expect(ps.code).toBe(0);
      // the ops server: ready, and the captured calls are counted
      const opsPort = await until(() => /"port":(\d+)[^\n]*ops server listening/.exec(c.output())?.[1], 'ops server');
      expect((await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      expect(metrics).toMatch(/dockguard_events_out_total\{[^}]*topic="audit"[^}]*\} [1-9]/);
      // A stream that never ends by itself is in flight at SIGTERM.
      const stream = docker(target, ['events', '--filter', 'type=container'], undefined, 30);
      await new Promise((r) => setTimeout(r, 1500));
      const t0 = Date.now();
      c.child.kill('SIGTERM');
      expect(await c.exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      await stream;

      const lines = fs
        .readFileSync(events, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
      const endpoints = lines.map((e) => `${e.http.request.method} ${e.dockguard.endpoint}`);
      expect(endpoints).toEqual(expect.arrayContaining(['GET /containers/json', 'GET /events']));
      for (const e of lines) {
        expect(e.collector).toEqual({ id: 'collect-test', mode: 'proxy' });
        expect(e.host.name).toBe('docker-test-host');
        expect(e.source.ip).toBe('127.0.0.1');
      }
      expect(c.output()).toMatch(/"msg":"shutdown complete"/);
    });

    (services.kafkaBrokers ? it : it.skip)(
      'with a kafka section, the events go to the audit topic (Avro)',
      async () => {
        const topic = `dockguard-test-proxy-audit-${uniqueSuffix()}`;
        const kafkaConfig = testKafkaConfig(services.kafkaBrokers!);
        // as the deployment's setup job does: the topic exists before the collector starts
        await ensureTopics(kafkaConfig, logger, [{ topic, partitions: 2, replicationFactor: -1 }]);
        const config = path.join(dir, 'kafka.yml');
        fs.writeFileSync(
          config,
          [
            'collector:',
            '  id: collect-kafka-test',
            '  proxy:',
            '    listen: { host: 127.0.0.1, port: 0 }',
            `    upstreamSocket: ${socket}`,
            '    shutdownGraceSeconds: 1',
            'kafka:',
            `  brokers: [${services.kafkaBrokers}]`,
            `  topics: { audit: ${topic} }`,
            'spool:',
            `  dir: ${path.join(dir, 'spool')}`,
            'ops: { host: 127.0.0.1, port: 0 }',
            '',
          ].join('\n'),
        );
        const c = startCollect(config);
        const port = await until(
          () => /"port":(\d+)[^\n]*Docker API proxy listening/.exec(c.output())?.[1],
          'listening',
        );
        const target = { host: `tcp://127.0.0.1:${port}` };
        expect((await docker(target, ['ps', '-a', '-q'])).code).toBe(0);
        expect((await docker(target, ['images', '-q'])).code).toBe(0);
        c.child.kill('SIGTERM');
        expect(await c.exited).toBe(0);
        const records = await consumeAll(kafkaConfig, topic, 4, 30_000);
        await deleteTopics(kafkaConfig, logger, [topic]);
        const codec = new AvroCodec();
        const events = records.map((r) => codec.decode(AUDIT_SUBJECT, r.value!) as DockerApiEvent);
        const endpoints = events.map((e) => `${e.http.request.method} ${e.dockguard.endpoint}`);
        expect(endpoints).toEqual(expect.arrayContaining(['GET /containers/json', 'GET /images/json']));
        // exactly once per call here (no fault): ids are unique
        expect(new Set(events.map((e) => e.event.id)).size).toBe(events.length);
        for (const e of events) expect(e.collector.id).toBe('collect-kafka-test');
      },
    );

    it('a bad setting fails at startup with exit 2 and names it', async () => {
      const config = path.join(dir, 'bad.yml');
      fs.writeFileSync(config, 'collector:\n  proxy:\n    allowClients: [10.0.0.0/33]\n');
      const c = startCollect(config);
      expect(await c.exited).toBe(2);
      expect(c.output()).toContain('collector.proxy.allowClients[0]');
      expect(c.output()).toContain('CONFIG_INVALID');
    });
  },
);
