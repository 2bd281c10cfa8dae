// The authorization-plugin collector against a real, private dockerd started with
// --authorization-plugin (test/services/authz-dockerd.ts): the docker CLI and raw
// HTTP over the unix socket, events checked field by field, the deny policy seen
// from the client's side, and responses joined to their requests under concurrency.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import pino from 'pino';
import { AuthzPlugin } from '../../pipelines/adapters/docker-authz-plugin';
import type { CallPolicy } from '../../pipelines/collectors/call-policy';
import { compileDenyPolicy } from '../../pipelines/collectors/deny-policy';
import { createEventBuilder } from '../../pipelines/collectors/event-builder';
import { MemoryAuditSink } from '../../pipelines/collectors/memory-audit-sink';
import { createRedactor } from '../../pipelines/collectors/normalize/redact';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { newAuthzRun, startAuthzDockerd, type AuthzDockerd } from '../services/authz-dockerd';
import { dockerApi, localServices, skipReason } from '../services/local-services';

const services = localServices();
const suite = services.dockerSocket ? describe : describe.skip;
const title = services.dockerSocket
  ? 'authorization plugin with a private dockerd'
  : skipReason('DOCKER_HOST', 'dockerd');

const DEFAULT_POLICY = path.resolve(__dirname, '../../deploy/policies/default-deny.yml');

function defaultPolicy(disable: string[] = []): CallPolicy {
  const { policy, problems } = compileDenyPolicy(
    [{ file: DEFAULT_POLICY, text: fs.readFileSync(DEFAULT_POLICY, 'utf8') }],
    { disable },
  );
  if (problems.some((p) => p.severity === 'error')) throw new Error(problems.map((p) => p.format()).join('\n'));
  return policy;
}

suite(title, () => {
  const run = newAuthzRun();
  const sink = new MemoryAuditSink(100_000);
  const events: DockerApiEvent[] = [];
  // the suite switches policies between tests; the plugin sees one CallPolicy
  let current: CallPolicy = defaultPolicy();
  const policy: CallPolicy = { decide: (e) => current.decide(e) };
  const redactor = createRedactor(randomBytes(32));
  let plugin: AuthzPlugin;
  let daemon: AuthzDockerd;
  const tag = run.id;

  const collect = (): DockerApiEvent[] => {
    events.push(...sink.drain());
    return events;
  };
  async function waitForEvents(pred: (e: DockerApiEvent) => boolean, n = 1, ms = 15_000): Promise<DockerApiEvent[]> {
    const until = Date.now() + ms;
    for (;;) {
      const hits = collect().filter(pred);
      if (hits.length >= n || Date.now() > until) return hits;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const api = (method: string, p: string, body?: unknown) => dockerApi(daemon.socketPath, method, p, body);

  beforeAll(async () => {
    plugin = new AuthzPlugin({
      socketPath: run.pluginSocket,
      pluginName: run.pluginName,
      collectorId: `test-${tag}`,
      hostName: 'authz-test-host',
      policy,
      sink,
      buildEvent: createEventBuilder({ redactor }),
      logger: pino({ level: 'silent' }),
      // vfs makes creates slow on a busy 2-core machine; a response must not come after expiry
      pendingTimeoutMs: 120_000,
      maxPending: 10_000,
    });
    await plugin.listen();
    daemon = await startAuthzDockerd(run, {
      sharedDockerSocket: services.dockerSocket as string,
      testImage: services.testImage,
    });
  }, 180_000);

  afterAll(async () => {
    // dockerd first: without its plugin every call would hang
    await daemon?.stop();
    await plugin?.close();
    await sink.close();
  }, 120_000);

  it('the plugin socket is private to root', () => {
    expect(fs.statSync(run.pluginSocket).mode & 0o777).toBe(0o600);
  });

  it('records the seed sequence (docker CLI and raw HTTP) with every parameter and the created ids', async () => {
    current = defaultPolicy(['host-root-bind']);
    const name = `seed-${tag}`;
    const ps = await daemon.docker(['ps']);
    expect(ps.code).toBe(0);
    const pull = await daemon.docker(['pull', 'alpine:3.19'], undefined, 60_000);
    expect(pull.code).not.toBe(0); // no registry here; the attempt is what the SOC needs to see
    const create = await daemon.docker([
      'create',
      '--name',
      name,
      '--network',
      'none',
      '-v',
      '/:/mnt',
      '-e',
      'AWS_SECRET_ACCESS_KEY=hunter2',
      'alpine',
      'sh',
      '-c',
      'echo seed; cat /mnt/etc/hostname; sleep 60',
    ]);
    expect(create.stderr).toBe('');
    const id = create.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const start = await daemon.docker(['start', name]);
    expect(start.code).toBe(0);
    // the CLI's exec: create, then a hijacked start whose response phase has headers only
    const cliExec = await daemon.docker(['exec', name, 'echo', 'from-exec']);
    expect(cliExec.stdout).toContain('from-exec');
    // raw HTTP: an exec the way the campaigns script it
    const exec = await api('POST', `/v1.41/containers/${id}/exec`, { Cmd: ['id'], AttachStdout: true });
    expect(exec.status).toBe(201);
    const execId = exec.json<{ Id: string }>().Id;

    const [list] = await waitForEvents((e) => e.dockguard.endpoint === '/containers/json');
    expect(list).toMatchObject({
      collector: { id: `test-${tag}`, mode: 'authz' },
      host: { name: 'authz-test-host' },
      source: { ip: null, port: null },
      http: { request: { method: 'GET' }, response: { status_code: 200 } },
      dockguard: { api_version: '1.41', decision: { allowed: true, rule: null } },
    });
    expect(list?.user_agent.original).toMatch(/^Docker-Client\//);

    const [pullEvent] = await waitForEvents((e) => e.dockguard.endpoint === '/images/create');
    expect(pullEvent?.url.query).toContain('fromImage=alpine');
    expect(pullEvent?.container.image.name).toMatch(/^alpine/);

    const [created] = await waitForEvents(
      (e) => e.dockguard.endpoint === '/containers/create' && e.container.name === name,
    );
    expect(created).toMatchObject({
      http: { request: { method: 'POST' }, response: { status_code: 201 } },
      container: { id, name, image: { name: 'alpine' } },
      process: { args: ['sh', '-c', 'echo seed; cat /mnt/etc/hostname; sleep 60'] },
      dockguard: {
        endpoint: '/containers/create',
        request: { body_complete: true },
        decision: { allowed: true },
        container: { binds: ['/:/mnt'], privileged: false, env_names: ['AWS_SECRET_ACCESS_KEY'] },
      },
    });
    expect(created?.http.request.body.bytes).toBeGreaterThan(100);
    // the secret value never leaves the host
    expect(JSON.stringify(created)).not.toContain('hunter2');

    const starts = await waitForEvents(
      (e) => e.dockguard.endpoint === '/containers/{id}/start' && e.container.id === name,
    );
    expect(starts[0]?.http.response.status_code).toBe(204);
    const execStarts = await waitForEvents((e) => e.dockguard.endpoint === '/exec/{id}/start');
    expect(execStarts).toHaveLength(1);
    // hijacked: dockerd's response phase carries headers only, no status code (observed)
    expect(execStarts[0]?.http.response.status_code).toBeNull();

    const [execEvent] = await waitForEvents(
      (e) => e.dockguard.endpoint === '/containers/{id}/exec' && e.process.args[0] === 'id',
    );
    expect(execEvent).toMatchObject({
      container: { id },
      http: { response: { status_code: 201 } },
      dockguard: { resource_id: execId },
    });
    expect(execEvent?.process.args).toEqual(['id']);
    expect((await daemon.docker(['rm', '-f', name])).code).toBe(0);
    // every event once: ids are unique
    const ids = collect().map((e) => e.event.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a host-root bind is refused before dockerd acts; the event records the rule', async () => {
    current = defaultPolicy();
    const name = `denied-${tag}`;
    const r = await daemon.docker(['create', '--name', name, '--network', 'none', '-v', '/:/host', 'alpine', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `authorization denied by plugin ${run.pluginName}: binding the host root filesystem into a container is not allowed`,
    );
    const [e] = await waitForEvents((x) => x.dockguard.endpoint === '/containers/create' && x.container.name === name);
    expect(e).toMatchObject({
      event: { outcome: 'failure' },
      http: { response: { status_code: null } },
      container: { id: null },
      dockguard: {
        decision: { allowed: false, rule: 'host-root-bind', reason: expect.stringContaining('host root') },
        container: { binds: ['/:/host'] },
      },
    });
    const inspect = await api('GET', `/v1.41/containers/${name}/json`);
    expect(inspect.status).toBe(404);
  });

  it('a create request of more than 1 MiB reaches the plugin without its body and is denied by default', async () => {
    current = defaultPolicy();
    const name = `big-${tag}`;
    // 1,100,000 bytes of labels: dockerd withholds JSON bodies of 1 MiB and more from plugins
    const labels: Record<string, string> = {};
    for (let i = 0; i < 1100; i++) labels[`l${i}`] = 'x'.repeat(1000);
    const r = await api('POST', `/v1.41/containers/create?name=${name}`, {
      Image: 'alpine',
      Cmd: ['true'],
      Labels: labels,
      HostConfig: { Binds: ['/:/mnt'], NetworkMode: 'none' },
    });
    expect(r.status).toBe(403);
    expect(r.json<{ message: string }>().message).toContain(`authorization denied by plugin ${run.pluginName}`);
    expect(r.json<{ message: string }>().message).toContain('could not be inspected');
    const [e] = await waitForEvents((x) => x.dockguard.endpoint === '/containers/create' && x.container.name === name);
    expect(e?.dockguard.request.body_complete).toBe(false);
    expect(e?.dockguard.decision).toMatchObject({ allowed: false, rule: 'body-incomplete' });
    expect(e?.http.request.body.bytes).toBeGreaterThanOrEqual(1_048_576);
    expect((await api('GET', `/v1.41/containers/${name}/json`)).status).toBe(404);
  });

  function chunkedCreate(name: string, body: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          socketPath: daemon.socketPath,
          method: 'POST',
          path: `/v1.41/containers/create?name=${name}`,
          headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      // two chunks: the body has no declared length
      const half = Math.floor(body.length / 2);
      req.write(body.slice(0, half));
      req.end(body.slice(half));
    });
  }

  it('chunked JSON creates: under 1 MiB the body is judged, from 1 MiB on it is an unseen body', async () => {
    current = defaultPolicy();
    const small = `chunked-${tag}`;
    const body = (pad: number) =>
      JSON.stringify({
        Image: 'alpine',
        Labels: { pad: 'x'.repeat(pad) },
        HostConfig: { Privileged: true, NetworkMode: 'none' },
      });
    expect(await chunkedCreate(small, body(10))).toBe(403);
    const [s] = await waitForEvents((x) => x.dockguard.endpoint === '/containers/create' && x.container.name === small);
    expect(s?.dockguard.decision.rule).toBe('privileged-container');
    expect(s?.dockguard.request.body_complete).toBe(true);

    const big = `chunked-big-${tag}`;
    expect(await chunkedCreate(big, body(1_100_000))).toBe(403);
    const [b] = await waitForEvents((x) => x.dockguard.endpoint === '/containers/create' && x.container.name === big);
    expect(b?.dockguard.decision.rule).toBe('body-incomplete');
    expect(b?.dockguard.request.body_complete).toBe(false);
    for (const n of [small, big]) expect((await api('GET', `/v1.41/containers/${n}/json`)).status).toBe(404);
  });

  it('50 parallel creates each record the id their client received', async () => {
    current = defaultPolicy();
    const names = Array.from({ length: 50 }, (_, i) => `par-${tag}-${i}`);
    const answers = await Promise.all(
      names.map((n) =>
        api('POST', `/v1.41/containers/create?name=${n}`, {
          Image: 'alpine',
          Cmd: ['true'],
          HostConfig: { NetworkMode: 'none' },
        }),
      ),
    );
    const idByName = new Map<string, string>();
    answers.forEach((a, i) => {
      expect(a.status).toBe(201);
      idByName.set(names[i] as string, a.json<{ Id: string }>().Id);
    });
    const evs = await waitForEvents(
      (e) => e.dockguard.endpoint === '/containers/create' && (e.container.name ?? '').startsWith(`par-${tag}-`),
      50,
    );
    expect(evs).toHaveLength(50);
    for (const e of evs) expect(e.container.id).toBe(idByName.get(e.container.name as string));
  });

  it('identical parallel requests (one join key) are matched first in, first out: every id once', async () => {
    current = defaultPolicy();
    const before = collect().length;
    const body = {
      Image: 'alpine',
      Cmd: ['true'],
      Labels: { batch: `same-${tag}` },
      HostConfig: { NetworkMode: 'none' },
    };
    const answers = await Promise.all(Array.from({ length: 10 }, () => api('POST', '/v1.41/containers/create', body)));
    const got = answers.map((a) => a.json<{ Id: string }>().Id).sort();
    const evs = await waitForEvents((e, i = 0) => {
      void i;
      return e.dockguard.endpoint === '/containers/create' && (e.dockguard.request.body ?? '').includes(`same-${tag}`);
    }, 10);
    expect(collect().length).toBeGreaterThanOrEqual(before + 10);
    expect(evs.map((e) => e.container.id).sort()).toEqual(got);
  });

  it('a malformed plugin message gets an Err answer and is counted; dockerd is still served', async () => {
    const malformedBefore = plugin.stats.malformed;
    const send = (p: string, body: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ socketPath: run.pluginSocket, method: 'POST', path: p }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const notJson = await send('/AuthZPlugin.AuthZReq', '{"RequestMethod":');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toEqual({ Err: expect.stringContaining('not JSON') });
    const noUri = await send('/AuthZPlugin.AuthZReq', '{"RequestMethod":"GET"}');
    expect(JSON.parse(noUri.body).Err).toContain('RequestUri');
    const unknown = await send('/Plugin.Nope', '{}');
    expect(unknown.status).toBe(404);
    expect(plugin.stats.malformed).toBe(malformedBefore + 3);
    expect((await api('GET', '/v1.41/version')).status).toBe(200);
  });

  it('no call waits for its response phase after the calls finished, and nothing failed', async () => {
    await waitForEvents(() => false, 1, 500);
    expect(plugin.stats.publishFailures).toBe(0);
    // every response phase found its request (none expired, none unmatched)
    expect(plugin.stats.expired).toBe(0);
    expect(plugin.stats.unmatchedResponses).toBe(0);
    expect(plugin.stats.policyErrors).toBe(0);
    // hijacked calls (attach) answer their response phase when the stream ends
    expect(plugin.pendingCount).toBeLessThanOrEqual(1);
    expect(plugin.stats.published).toBe(collect().length + sink.size);
  });
});
