// Endpoints of the local services (deploy/local/services.sh) and small raw clients
// for them, for integration tests that must not depend on a Kafka, Elasticsearch or
// Docker client library. The runner exports the endpoints:
//   set -a; eval "$(deploy/local/services.sh env)"; set +a
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

export interface LocalServices {
  /** host:port of the first broker, from KAFKA_BROKERS. */
  kafkaBroker?: { host: string; port: number };
  kafkaBrokers?: string;
  /** Base URL without a trailing slash, from ELASTICSEARCH_URL. */
  elasticsearchUrl?: string;
  /** Path of dockerd's unix socket, from DOCKER_HOST=unix://... */
  dockerSocket?: string;
  /** An image that exists locally (no registry is reachable). */
  testImage: string;
  /** Kafka tools from the broker's classpath (deploy/local/kafka/). */
  kafkaRun: string;
  kafkaTopics: string;
}

const deployLocal = path.resolve(__dirname, '../../deploy/local');

export function localServices(env: NodeJS.ProcessEnv = process.env): LocalServices {
  const services: LocalServices = {
    testImage: env.DOCKGUARD_TEST_IMAGE || 'dockguard-test/busybox:latest',
    kafkaRun: env.DOCKGUARD_KAFKA_RUN || path.join(deployLocal, 'kafka/kafka-run'),
    kafkaTopics: env.DOCKGUARD_KAFKA_TOPICS || path.join(deployLocal, 'kafka/kafka-topics'),
  };
  if (env.KAFKA_BROKERS) {
    const first = env.KAFKA_BROKERS.split(',')[0]?.trim() ?? '';
    const at = first.lastIndexOf(':');
    if (at <= 0) throw new Error(`KAFKA_BROKERS must be host:port[,host:port...], got '${env.KAFKA_BROKERS}'`);
    services.kafkaBrokers = env.KAFKA_BROKERS;
    services.kafkaBroker = { host: first.slice(0, at), port: Number(first.slice(at + 1)) };
  }
  if (env.ELASTICSEARCH_URL) services.elasticsearchUrl = env.ELASTICSEARCH_URL.replace(/\/+$/, '');
  if (env.DOCKER_HOST) {
    if (!env.DOCKER_HOST.startsWith('unix://')) {
      throw new Error(`DOCKER_HOST must be unix:///path/to/docker.sock for these tests, got '${env.DOCKER_HOST}'`);
    }
    services.dockerSocket = env.DOCKER_HOST.slice('unix://'.length);
  }
  return services;
}

/** Why a suite is skipped, in its title, so that a skipped run says what to do. */
export function skipReason(variable: string, service: string): string {
  return `skipped: ${variable} is unset (run deploy/local/services.sh start ${service}, then set -a; eval "$(deploy/local/services.sh env)"; set +a)`;
}

export interface DockerResponse {
  status: number;
  body: Buffer;
  json<T>(): T;
}

/** One Docker Engine API call over the unix socket. */
export function dockerApi(
  socketPath: string,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<DockerResponse> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path: urlPath,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {},
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, body: buf, json: <T>() => JSON.parse(buf.toString('utf8')) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer from ${socketPath} in 60 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Splits the multiplexed log stream of a container without a TTY: frames of
 * [stream type (1 stdout, 2 stderr), 0, 0, 0, size uint32 BE] + payload.
 */
export function demuxDockerLogs(buf: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const type = buf[at];
    const size = buf.readUInt32BE(at + 4);
    const frame = buf.subarray(at + 8, at + 8 + size);
    (type === 2 ? err : out).push(frame);
    at += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/**
 * A raw Kafka ApiVersions v0 request (KIP-35): proves that a Kafka broker answers
 * the protocol on host:port. Returns the supported versions by API key.
 */
export function kafkaApiVersions(
  host: string,
  port: number,
  timeoutMs = 10_000,
): Promise<Map<number, [number, number]>> {
  const clientId = Buffer.from('dockguard-test');
  // Request header v1: api_key int16, api_version int16, correlation_id int32,
  // client_id nullable string (int16 length); ApiVersions v0 has an empty body.
  const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  request.writeInt32BE(request.length - 4, 0);
  request.writeInt16BE(18, 4);
  request.writeInt16BE(0, 6);
  request.writeInt32BE(4242, 8);
  request.writeInt16BE(clientId.length, 12);
  clientId.copy(request, 14);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no ApiVersions answer from ${host}:${port}`)));
    socket.on('connect', () => socket.write(request));
    socket.on('error', reject);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const buf = Buffer.concat(chunks);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      socket.end();
      // Response: size, correlation_id, error_code int16, [api_key, min, max] (int32 count).
      const correlationId = buf.readInt32BE(4);
      const errorCode = buf.readInt16BE(8);
      if (correlationId !== 4242) return reject(new Error(`ApiVersions: correlation id ${correlationId}`));
      if (errorCode !== 0) return reject(new Error(`ApiVersions: error code ${errorCode}`));
      const count = buf.readInt32BE(10);
      const versions = new Map<number, [number, number]>();
      for (let i = 0; i < count; i++) {
        const at = 14 + i * 6;
        versions.set(buf.readInt16BE(at), [buf.readInt16BE(at + 2), buf.readInt16BE(at + 4)]);
      }
      resolve(versions);
    });
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command (no shell), optionally feeding stdin, and collects its output. */
export function run(command: string, args: string[], input?: string, timeoutMs = 90_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A command that exits without reading its input (findmnt, umount) closes the pipe
    // first: EPIPE here is not a failure, the exit code says how it went.
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') reject(e);
    });
    child.stdin.end(input ?? '');
  });
}
