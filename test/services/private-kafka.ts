// A private, single-node Kafka (KRaft) for fault tests that kill and restart the
// broker: its own free ports, its own data directory, the same jars as the shared
// broker (cached by deploy/local/services.sh). The shared broker on 19092 is used
// by every engineer's tests at once and must never be stopped by a test; this one
// belongs to the test that started it.
//
//   const kafka = await startPrivateKafka();
//   … kafka.brokers …
//   await kafka.kill();      // SIGKILL, as a crash
//   await kafka.start();     // same ports, same data
//   await kafka.destroy();   // stop and delete the data directory
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './free-port';

const deployKafka = path.resolve(__dirname, '../../deploy/local/kafka');

/** The Kafka jars directory, or null when services.sh has not installed Kafka here. */
export function kafkaLibs(env: NodeJS.ProcessEnv = process.env): string | null {
  const run = env.DOCKGUARD_RUN || '/tmp/dockguard-services';
  const linked = path.join(run, 'kafka', 'libs');
  if (fs.existsSync(path.join(linked, '.complete'))) return fs.realpathSync(linked);
  const cache = env.DOCKGUARD_CACHE || '/var/cache/dockguard';
  const base = path.join(cache, 'kafka');
  if (!fs.existsSync(base)) return null;
  for (const v of fs.readdirSync(base).sort().reverse()) {
    const libs = path.join(base, v, 'libs');
    if (fs.existsSync(path.join(libs, '.complete'))) return libs;
  }
  return null;
}

function javaBin(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JAVA_HOME && fs.existsSync(path.join(env.JAVA_HOME, 'bin', 'java')))
    return path.join(env.JAVA_HOME, 'bin', 'java');
  return 'java';
}

/** Why a private broker cannot run here (for a skip message), or null when it can. */
export function privateKafkaSkipReason(): string | null {
  if (!kafkaLibs()) return 'skipped: no Kafka jars cached (run deploy/local/services.sh install kafka, or start kafka)';
  return null;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface PrivateKafka {
  /** host:port for clients. */
  readonly brokers: string;
  readonly port: number;
  readonly dir: string;
  running(): boolean;
  /** Starts the broker (after kill or stop) on the same ports and data; resolves when it serves metadata. */
  start(): Promise<void>;
  /** SIGKILL: a crash, no controlled shutdown. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 30 s. */
  stop(): Promise<void>;
  /** Stops the broker and deletes its directory. */
  destroy(): Promise<void>;
}

export interface PrivateKafkaOptions {
  /** JVM heap flags; the default is small, this broker serves one test. */
  heap?: string[];
  readyTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startPrivateKafka(options: PrivateKafkaOptions = {}): Promise<PrivateKafka> {
  const libs = kafkaLibs();
  if (!libs) throw new Error(privateKafkaSkipReason() ?? 'no Kafka jars');
  if (!exitHookInstalled) {
    // A test that dies must not leave a JVM behind.
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
    exitHookInstalled = true;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-private-kafka-'));
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const props = path.join(dir, 'server.properties');
  fs.mkdirSync(path.join(dir, 'logs'));
  fs.writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      'num.partitions=1',
      'default.replication.factor=1',
      'min.insync.replicas=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      '',
    ].join('\n'),
  );
  const java = javaBin();
  const log4j = `-Dlog4j.configuration=file:${path.join(deployKafka, 'log4j.properties')}`;
  await runToEnd(java, [
    '-Xmx256m',
    '-XX:TieredStopAtLevel=1',
    `-Dlog4j.configuration=file:${path.join(deployKafka, 'tools-log4j.properties')}`,
    '-cp',
    `${libs}/*`,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId(),
    '-c',
    props,
    '--ignore-formatted',
  ]);

  let child: ChildProcess | null = null;
  const brokers = `127.0.0.1:${port}`;
  const heap = options.heap ?? ['-Xms128m', '-Xmx384m'];

  const waitExit = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));

  const broker: PrivateKafka = {
    brokers,
    port,
    dir,
    running: () => child !== null,
    async start() {
      if (child) return;
      const out = fs.openSync(path.join(dir, 'logs', 'stdout.log'), 'a');
      const c = spawn(
        java,
        [
          ...heap,
          '-XX:+UseG1GC',
          '-Djava.awt.headless=true',
          log4j,
          `-Dkafka.logs.dir=${path.join(dir, 'logs')}`,
          '-cp',
          `${libs}/*`,
          'kafka.Kafka',
          props,
        ],
        { stdio: ['ignore', out, out] },
      );
      fs.closeSync(out);
      child = c;
      live.add(c);
      c.once('exit', () => {
        live.delete(c);
        if (child === c) child = null;
      });
      await waitReady(brokers, port, options.readyTimeoutMs ?? 120_000, () => child === c, dir);
    },
    async kill() {
      const c = child;
      if (!c) return;
      c.kill('SIGKILL');
      await waitExit(c);
    },
    async stop() {
      const c = child;
      if (!c) return;
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
      await waitExit(c);
      clearTimeout(t);
    },
    async destroy() {
      await broker.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}

async function waitReady(
  brokers: string,
  port: number,
  timeoutMs: number,
  alive: () => boolean,
  dir: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const tail = (): string => {
    try {
      return fs
        .readFileSync(path.join(dir, 'logs', 'stdout.log'), 'utf8')
        .split('\n')
        .slice(-20)
        .join('\n');
    } catch {
      return '';
    }
  };
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`private Kafka exited during start:\n${tail()}`);
    if (await portOpen(port)) {
      // A metadata round trip, not just an open port: the broker must have
      // registered with its controller.
      const admin = new Kafka({
        clientId: 'private-kafka-ready',
        brokers: [brokers],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return;
      } catch {
        // not yet
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`private Kafka not ready on ${brokers} after ${timeoutMs} ms:\n${tail()}`);
}

function runToEnd(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.once('error', reject);
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}
