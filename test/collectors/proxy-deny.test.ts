// Request-time decisions of the proxy: a CallPolicy that denies host-root binds,
// the allowClients list, a sink that cannot record (fail closed), a failing
// policy, and the body-size limit. In every case the client gets dockerd-style
// JSON with the reason, the event records the decision, and dockerd did nothing.
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import type { CallPolicy } from '../../pipelines/collectors/call-policy';
import type { CapturedDecision } from '../../pipelines/collectors/captured-call';
import { MemoryAuditSink } from '../../pipelines/collectors/memory-audit-sink';
import { dockerApi, localServices, skipReason } from '../services/local-services';
import { docker, uniqueName } from './docker-cli';
import { jsonRequest, rawHttp, startProxy, type ProxyHarness } from './proxy-harness';

const services = localServices();
const socket = services.dockerSocket;

const ALLOW: CapturedDecision = { allowed: true, rule: null, reason: null };

/** Denies any bind or mount whose source is the host root. */
const denyHostRoot: CallPolicy = {
  decide(e: DockerApiEvent) {
    const c = e.dockguard.container;
    const root =
      (c?.binds ?? []).some((b) => b.split(':')[0] === '/') || (c?.mounts ?? []).some((m) => m.source === '/');
    return root
      ? { allowed: false, rule: 'host-root-bind', reason: 'host root filesystem mounts are not allowed' }
      : ALLOW;
  },
};

const absent = async (name: string) => (await dockerApi(socket!, 'GET', `/containers/${name}/json`)).status === 404;

(socket ? describe : describe.skip)(
  socket ? 'proxy collector: request-time decisions' : skipReason('DOCKER_HOST', 'dockerd'),
  () => {
    const harnesses: ProxyHarness[] = [];
    const created: string[] = [];
    const start = async (o: Omit<Parameters<typeof startProxy>[0], 'upstreamSocket'>) => {
      const h = await startProxy({ upstreamSocket: socket!, ...o });
      harnesses.push(h);
      return h;
    };
    const name = (p: string) => {
      const n = uniqueName(p);
      created.push(n);
      return n;
    };
    afterAll(async () => {
      for (const n of created) await dockerApi(socket!, 'DELETE', `/containers/${n}?force=1`).catch(() => undefined);
      for (const h of harnesses) await h.close();
    });

    it('a host-root bind is denied before dockerd sees it; docker run prints the reason; the event records the denial', async () => {
      const h = await start({ policy: denyHostRoot });
      const target = { host: `tcp://127.0.0.1:${h.port}` };
      const cname = name('dg-deny');
      const r = await docker(target, ['run', '--name', cname, '--network', 'none', '-v', '/:/mnt', 'alpine', 'true']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('dockguard: host root filesystem mounts are not allowed');
      const ev = await h.waitFor(
        (e) => e.dockguard.endpoint === '/containers/create' && e.url.original.includes(cname),
        'the denied create',
      );
      expect(ev.dockguard.decision).toEqual({
        allowed: false,
        rule: 'host-root-bind',
        reason: 'host root filesystem mounts are not allowed',
      });
      expect(ev.http.response.status_code).toBe(403);
      expect(ev.dockguard.container?.binds).toEqual(['/:/mnt']);
      expect(await absent(cname)).toBe(true);

      // The same policy lets an ordinary container through.
      const ok = await docker(target, ['run', '--rm', '--network', 'none', 'alpine', 'echo', 'allowed']);
      expect(ok.stdout).toBe('allowed\n');
    });

    it('a spelled-out host-root bind (escapes, key case, duplicates) is denied just the same', async () => {
      const h = await start({ policy: denyHostRoot });
      const cname = name('dg-deny-spelled');
      const body =
        '{"Image":"alpine","hostconfig":{"Binds":["/tmp:/x"],"NetworkMode":"none"},' +
        '"H\\u006fstConfig":{"bInDs":["\\u002f:/mnt"]}}';
      const res = await rawHttp(
        h.port,
        jsonRequest('POST', `/v1.41//containers/../containers/create?name=${cname}`, body),
      );
      // Even a spelling dockerd would redirect is judged on its body.
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toEqual({ message: 'dockguard: host root filesystem mounts are not allowed' });
      const ok = await rawHttp(h.port, jsonRequest('POST', `/v1.41/containers/create?name=${cname}`, body));
      expect(ok.status).toBe(403);
      const events = h.events.filter((e) => e.url.original.includes(cname));
      expect(events).toHaveLength(2);
      for (const e of events) expect(e.dockguard.decision.allowed).toBe(false);
      expect(await absent(cname)).toBe(true);
    });

    it('a denied exec start (an upgrade request) gets the 403 on the raw connection', async () => {
      const denyExec: CallPolicy = {
        decide: (e) =>
          e.dockguard.endpoint === '/exec/{id}/start'
            ? { allowed: false, rule: 'no-exec', reason: 'exec is disabled' }
            : ALLOW,
      };
      const h = await start({ policy: denyExec });
      const target = { host: `tcp://127.0.0.1:${h.port}` };
      const cname = name('dg-deny-exec');
      expect(
        (await docker(target, ['run', '-d', '--name', cname, '--network', 'none', 'alpine', 'sleep', '60'])).code,
      ).toBe(0);
      const r = await docker(target, ['exec', '-i', cname, 'echo', 'should-not-run'], 'x');
      expect(r.stdout).not.toContain('should-not-run');
      // The CLI reports a refused hijack as "unable to upgrade to tcp, received 403" (it
      // does not read the body there): deny at exec create to show the reason to users.
      expect(r.stderr).toContain('403');
      expect(r.code).not.toBe(0);
      const ev = await h.waitFor((e) => e.dockguard.endpoint === '/exec/{id}/start', 'the exec start');
      expect(ev.dockguard.decision.rule).toBe('no-exec');
      expect(ev.http.response.status_code).toBe(403);
    });

    it('a client outside allowClients gets 403 and an event, for plain and upgrade requests', async () => {
      const h = await start({ allowClients: ['10.0.0.0/8', 'fd00::/8'] });
      const res = await rawHttp(h.port, 'GET /v1.41/containers/json HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n');
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).message).toMatch(
        /^dockguard: client 127\.0\.0\.1 is not in collector\.proxy\.allowClients/,
      );
      const up = await rawHttp(
        h.port,
        'POST /v1.41/containers/x/attach?stream=1 HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
      );
      expect(up.status).toBe(403);
      const events = await Promise.all([
        h.waitFor((e) => e.source.port === res.localPort, 'plain'),
        h.waitFor((e) => e.source.port === up.localPort, 'upgrade'),
      ]);
      for (const e of events) expect(e.dockguard.decision).toMatchObject({ allowed: false, rule: 'allowClients' });

      const allowed = await start({ allowClients: ['127.0.0.0/8'] });
      const ok = await rawHttp(allowed.port, 'GET /v1.41/_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n');
      expect(ok.status).toBe(200);
      expect(ok.body).toBe('OK');
    });

    it('fails closed with 503 while the sink does not accept events', async () => {
      const inner = new MemoryAuditSink(100);
      let accepting = false;
      const h = await start({
        sink: { accepting: () => accepting, publish: (e) => inner.publish(e), close: () => inner.close() },
      });
      const cname = name('dg-closed');
      const res = await rawHttp(
        h.port,
        jsonRequest('POST', `/v1.41/containers/create?name=${cname}`, '{"Image":"alpine"}'),
      );
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body).message).toMatch(
        /^dockguard: calls are denied while the audit sink cannot record them/,
      );
      expect(await absent(cname)).toBe(true);
      expect(inner.drain().map((e) => e.dockguard.decision.rule)).toEqual(['audit-sink']);
      accepting = true;
      const ok = await rawHttp(h.port, 'GET /v1.41/_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n');
      expect(ok.status).toBe(200);
    });

    it('a policy that throws denies the call and is counted; a sink that throws is logged and counted, the call still works', async () => {
      const h = await start({
        policy: {
          decide: () => {
            throw new Error('policy bug');
          },
        },
      });
      const cname = name('dg-throw');
      const res = await rawHttp(
        h.port,
        jsonRequest('POST', `/v1.41/containers/create?name=${cname}`, '{"Image":"alpine"}'),
      );
      expect(res.status).toBe(403);
      expect(h.proxy.stats.policyErrors).toBe(1);
      expect(await absent(cname)).toBe(true);
      const ev = await h.waitFor((e) => e.source.port === res.localPort, 'the denied call');
      expect(ev.dockguard.decision.rule).toBe('policy-error');

      const failing = await start({
        sink: {
          accepting: () => true,
          publish: () => Promise.reject(new Error('kafka down')),
          close: async () => undefined,
        },
      });
      const ping = await rawHttp(failing.port, 'GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n');
      expect(ping.status).toBe(200);
      await new Promise((r) => setTimeout(r, 200));
      expect(failing.proxy.stats.publishFailures).toBe(1);
    });

    it('a policy that allows everything is not consulted: the call goes on at once and is still recorded', async () => {
      // decide() would deny (policy-error) if the proxy called it
      const h = await start({
        policy: {
          allowsEverything: true,
          decide: () => {
            throw new Error('must not be called');
          },
        },
      });
      const cname = name('dg-record-only');
      const res = await rawHttp(
        h.port,
        jsonRequest('POST', `/v1.41/containers/create?name=${cname}`, '{"Image":"alpine","Cmd":["true"]}'),
      );
      expect(res.status).toBe(201);
      expect(h.proxy.stats.policyErrors).toBe(0);
      const ev = await h.waitFor((e) => e.source.port === res.localPort, 'the recorded create');
      expect([ev.dockguard.decision.allowed, ev.container.image.name, ev.dockguard.resource_id]).toEqual([
        true,
        'alpine',
        (JSON.parse(res.body) as { Id: string }).Id,
      ]);
    });

    it('keeps at most maxCapturedBodyBytes of a body: beyond it the event says bodyComplete false, and a policy can deny that', async () => {
      const limit = 4096;
      const denyIncomplete: CallPolicy = {
        decide: (e) =>
          e.dockguard.request.body_complete
            ? ALLOW
            : { allowed: false, rule: 'body-incomplete', reason: 'body too large' },
      };
      const recordOnly = await start({ maxCapturedBodyBytes: limit });
      const cname = name('dg-big');
      // Padding before the parameters: a reader of the first 4 KiB misses the bind.
      const pad = Array.from({ length: 200 }, (_, i) => `PAD${i}=${'x'.repeat(40)}`);
      const body = JSON.stringify({
        Image: 'alpine',
        Env: pad,
        HostConfig: { Binds: ['/:/mnt'], NetworkMode: 'none' },
      });
      expect(body.length).toBeGreaterThan(limit * 2);
      const res = await rawHttp(recordOnly.port, jsonRequest('POST', `/v1.41/containers/create?name=${cname}`, body));
      expect(res.status).toBe(201);
      const ev = await recordOnly.waitFor((e) => e.source.port === res.localPort, 'the big create');
      expect(ev.dockguard.request.body_complete).toBe(false);
      expect(ev.http.request.body.bytes).toBe(Buffer.byteLength(body));
      // dockerd got the whole body, not the captured prefix
      const c = (await dockerApi(socket!, 'GET', `/containers/${cname}/json`)).json<{
        HostConfig: { Binds: string[] };
      }>();
      expect(c.HostConfig.Binds).toEqual(['/:/mnt']);

      const strict = await start({ maxCapturedBodyBytes: limit, policy: denyIncomplete });
      const cname2 = name('dg-big-denied');
      const denied = await rawHttp(strict.port, jsonRequest('POST', `/v1.41/containers/create?name=${cname2}`, body));
      expect(denied.status).toBe(403);
      expect(await absent(cname2)).toBe(true);
    });
  },
);
