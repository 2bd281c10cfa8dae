// The authorization-plugin collector as `dockguard collect` starts it (configuration,
// policy file, spec file), driven over its unix socket with the messages dockerd
// sends (moby pkg/authorization), for what a real dockerd cannot be made to do on
// demand: responses that never come, a full pending map, certificates, shutdown.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import pino from 'pino';
import { startAuthzCollector, type RunningAuthzCollector } from '../../pipelines/adapters/docker-authz-collector';
import { readCollectorConfig } from '../../pipelines/collectors/collector-config';
import { createEventBuilder } from '../../pipelines/collectors/event-builder';
import { MemoryAuditSink } from '../../pipelines/collectors/memory-audit-sink';
import { createRedactor } from '../../pipelines/collectors/normalize/redact';
import type { RawConfig } from '../../pipelines/config/config';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { run as runCommand } from '../services/local-services';

const ROOT = path.resolve(__dirname, '../..');
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

function post(socketPath: string, p: string, body: unknown): Promise<{ status: number; type: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method: 'POST',
        path: p,
        headers: { 'Content-Type': 'application/vnd.docker.plugins.v1.2+json' },
      },
      (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            json: JSON.parse(b) as unknown,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('authorization plugin protocol (startAuthzCollector)', () => {
  const dir = fs.mkdtempSync('/tmp/dgp-');
  const socket = path.join(dir, 'authz.sock');
  const specDir = path.join(dir, 'plugins');
  const sink = new MemoryAuditSink(10_000);
  const events: DockerApiEvent[] = [];
  const collect = () => {
    events.push(...sink.drain());
    return events;
  };
  let running: RunningAuthzCollector;
  const raw: RawConfig = {
    file: 'test.yml',
    values: {
      collector: {
        id: 'proto',
        hostName: 'h1',
        mode: 'authz',
        authz: { socket, pluginName: 'dgproto', specDir, pendingTimeoutSeconds: 1, maxPending: 5 },
      },
      policy: { files: [path.join(ROOT, 'deploy/policies/default-deny.yml')] },
    },
  };
  const req = (uri: string, extra: Record<string, unknown> = {}) => ({
    RequestMethod: 'POST',
    RequestUri: uri,
    // dockerd passes Content-Length even when it is 0; a JSON request without one was chunked
    RequestHeaders: {
      'Content-Type': 'application/json',
      'Content-Length': String(typeof extra['RequestBody'] === 'string' ? 20 : 0),
      'User-Agent': 'Docker-Client/20.10.24 (linux)',
    },
    ...extra,
  });
  async function until(pred: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  beforeAll(async () => {
    const redactor = createRedactor(randomBytes(32));
    running = await startAuthzCollector(raw, readCollectorConfig(raw), {
      sink,
      logger: pino({ level: 'silent' }),
      buildEvent: createEventBuilder({ redactor }),
    });
  });
  afterAll(async () => {
    await running?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the spec file and activates as an authz plugin', async () => {
    expect(fs.readFileSync(path.join(specDir, 'dgproto.spec'), 'utf8')).toBe(`unix://${socket}\n`);
    const r = await post(socket, '/Plugin.Activate', {});
    expect(r.json).toEqual({ Implements: ['authz'] });
    expect(r.type).toBe('application/vnd.docker.plugins.v1.2+json');
  });

  it('a denied call is published at once, without a response', async () => {
    const body = JSON.stringify({ Image: 'alpine', HostConfig: { Privileged: true } });
    const r = await post(
      socket,
      '/AuthZPlugin.AuthZReq',
      req('/v1.41/containers/create?name=p1', { RequestBody: b64(body) }),
    );
    expect(r.json).toEqual({ Allow: false, Msg: expect.stringContaining('privileged containers are not allowed') });
    await until(() => collect().some((e) => e.container.name === 'p1'));
    const e = events.find((x) => x.container.name === 'p1');
    expect(e?.dockguard.decision).toMatchObject({ allowed: false, rule: 'privileged-container' });
    expect(running.plugin.pendingCount).toBe(0);
  });

  it('an allowed call whose response never comes is published after the timeout, once', async () => {
    const before = running.plugin.stats.expired;
    const msg = req('/v1.41/containers/abc/wait');
    expect((await post(socket, '/AuthZPlugin.AuthZReq', msg)).json).toEqual({ Allow: true });
    expect(running.plugin.pendingCount).toBe(1);
    await until(() => collect().some((e) => e.dockguard.endpoint === '/containers/{id}/wait'));
    const waits = events.filter((e) => e.dockguard.endpoint === '/containers/{id}/wait');
    expect(waits).toHaveLength(1);
    expect(waits[0]?.http.response.status_code).toBeNull();
    expect(running.plugin.stats.expired).toBe(before + 1);
    // the late response finds nothing to join and publishes nothing more
    const late = await post(socket, '/AuthZPlugin.AuthZRes', { ...msg, ResponseStatusCode: 200 });
    expect(late.json).toEqual({ Allow: true });
    expect(running.plugin.stats.unmatchedResponses).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(collect().filter((e) => e.dockguard.endpoint === '/containers/{id}/wait')).toHaveLength(1);
  });

  it('the pending map is bounded: the oldest calls are published early', async () => {
    const before = running.plugin.stats.expired;
    for (let i = 0; i < 8; i++) await post(socket, '/AuthZPlugin.AuthZReq', req(`/v1.41/containers/b${i}/start`));
    expect(running.plugin.pendingCount).toBe(5);
    expect(running.plugin.stats.expired).toBe(before + 3);
    // the newest still joins its response
    const res = await post(socket, '/AuthZPlugin.AuthZRes', {
      ...req('/v1.41/containers/b7/start'),
      ResponseStatusCode: 204,
    });
    expect(res.json).toEqual({ Allow: true });
    await until(() => collect().some((e) => e.container.id === 'b7'));
    expect(events.find((e) => e.container.id === 'b7')?.http.response.status_code).toBe(204);
    await until(() => collect().filter((e) => /^b\d$/.test(e.container.id ?? '')).length === 8, 3000);
    expect(new Set(events.filter((e) => /^b\d$/.test(e.container.id ?? '')).map((e) => e.container.id)).size).toBe(8);
  });

  it('TLS clients: the user and the peer certificate reach the event', async () => {
    const key = path.join(dir, 'k.pem');
    const crt = path.join(dir, 'c.pem');
    const gen = await runCommand('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '1',
      '-subj',
      '/O=dockguard-test/CN=alice',
    ]);
    expect(gen.code).toBe(0);
    const der = Buffer.from(
      fs
        .readFileSync(crt, 'utf8')
        .replace(/-----[^-]+-----/g, '')
        .replace(/\s+/g, ''),
      'base64',
    );
    const r = await post(
      socket,
      '/AuthZPlugin.AuthZReq',
      req('/v1.41/containers/json', {
        RequestMethod: 'GET',
        User: 'alice',
        UserAuthNMethod: 'TLS',
        RequestPeerCertificates: [b64(der)],
      }),
    );
    expect(r.json).toEqual({ Allow: true });
    await post(socket, '/AuthZPlugin.AuthZRes', {
      ...req('/v1.41/containers/json', {
        RequestMethod: 'GET',
        User: 'alice',
        UserAuthNMethod: 'TLS',
        RequestPeerCertificates: [b64(der)],
      }),
      ResponseStatusCode: 200,
    });
    await until(() => collect().some((e) => e.user.name === 'alice'));
    const e = events.find((x) => x.user.name === 'alice');
    expect(e?.tls?.client.subject).toContain('CN=alice');
    expect(e?.tls?.client.issuer).toContain('O=dockguard-test');
    expect(e?.tls?.client.hash_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(e?.source.ip).toBeNull();
  });

  it('stop publishes the calls still waiting, then removes the socket', async () => {
    const first = collect().length;
    const pending = running.plugin.pendingCount;
    await post(socket, '/AuthZPlugin.AuthZReq', req('/v1.41/containers/last/attach'));
    await running.stop();
    expect(running.plugin.pendingCount).toBe(0);
    expect(collect().length).toBeGreaterThanOrEqual(first + pending + 1);
    expect(fs.existsSync(socket)).toBe(false);
  });
});
