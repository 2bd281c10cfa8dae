import * as http from 'node:http';
import { ServiceMetrics } from './metrics';
import { opsSection, startOpsServer, type OpsServer } from './ops-server';
import { readSection } from '../config/config';

function get(url: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ops server over HTTP', () => {
  let server: OpsServer;
  let metrics: ServiceMetrics;

  beforeEach(async () => {
    metrics = new ServiceMetrics('detector', { defaultMetrics: false, version: '9.9.9' });
    const config = readSection(
      { file: null, values: { ops: { host: '127.0.0.1', port: 0, checkTimeoutMs: 200 } } },
      opsSection,
    );
    server = await startOpsServer({ config, registry: metrics.registry });
  });
  afterEach(() => server.close());

  test('binds an ephemeral port and answers liveness', async () => {
    expect(server.port).toBeGreaterThan(0);
    const r = await get(`${server.url}/healthz`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ status: 'ok' });
  });

  test('readiness follows every registered check and names the failing one', async () => {
    expect((await get(`${server.url}/readyz`)).status).toBe(200); // no checks yet
    let kafkaUp = false;
    server.addReadinessCheck('kafka', () => {
      if (!kafkaUp) throw new Error('no broker answers');
    });
    server.addReadinessCheck('state', async () => true);
    const down = await get(`${server.url}/readyz`);
    expect(down.status).toBe(503);
    const body = JSON.parse(down.body) as { checks: Record<string, { ok: boolean; error?: string }> };
    expect(body.checks.kafka).toMatchObject({ ok: false, error: 'no broker answers' });
    expect(body.checks.state).toMatchObject({ ok: true });
    kafkaUp = true;
    expect((await get(`${server.url}/readyz`)).status).toBe(200);
  });

  test('a check slower than checkTimeoutMs fails readiness instead of hanging the probe', async () => {
    server.addReadinessCheck('slow', () => new Promise((r) => setTimeout(r, 5_000).unref()));
    const started = Date.now();
    const r = await get(`${server.url}/readyz`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(r.status).toBe(503);
    expect(r.body).toContain('did not answer within 200 ms');
  });

  test('draining turns readiness off but keeps liveness', async () => {
    server.setDraining();
    const r = await get(`${server.url}/readyz`);
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ status: 'draining' });
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
  });

  test('/metrics serves the Prometheus text format of this service registry', async () => {
    metrics.eventsIn('dockguard.audit', 3);
    metrics.finding('rule-1', 'high');
    metrics.dropped('EVENT_INVALID');
    metrics.observe('detect', 0.001);
    const r = await get(`${server.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/plain');
    expect(r.body).toContain('dockguard_events_in_total{topic="dockguard.audit",service="detector"} 3');
    expect(r.body).toContain('dockguard_findings_total{rule_id="rule-1",level="high",service="detector"} 1');
    expect(r.body).toContain('dockguard_events_dropped_total{reason="EVENT_INVALID",service="detector"} 1');
    expect(r.body).toContain('dockguard_build_info{version="9.9.9"');
    expect(r.body).toMatch(/dockguard_processing_seconds_bucket\{le="0.005",service="detector",stage="detect"\} 1/);
  });

  test('unknown paths are 404 and writes are refused', async () => {
    expect((await get(`${server.url}/nope`)).status).toBe(404);
    expect((await get(`${server.url}/healthz`, 'POST')).status).toBe(405);
  });

  test('a taken port fails at startup', async () => {
    const config = { host: '127.0.0.1', port: server.port, checkTimeoutMs: 100 };
    await expect(startOpsServer({ config, registry: metrics.registry })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('ops configuration', () => {
  test('defaults listen on every interface on 9464', () => {
    expect(readSection({ file: null, values: {} }, opsSection)).toEqual({
      host: '0.0.0.0',
      port: 9464,
      checkTimeoutMs: 2000,
    });
  });
  test('a port out of range names the setting', () => {
    expect(() => readSection({ file: null, values: { ops: { port: 70000 } } }, opsSection)).toThrow(/ops\.port/);
  });
});
