// The proxy with mutual TLS (throwaway CA, server and client certificates made by
// openssl): every docker CLI workflow still works, each event names the client
// certificate, and a client without a certificate never reaches dockerd.
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { localServices, skipReason } from '../services/local-services';
import { docker } from './docker-cli';
import { makeCerts, startProxy, type ProxyHarness, type TestCerts } from './proxy-harness';
import { workflowSuite, type WorkflowContext } from './proxy-workflows';

const services = localServices();
const socket = services.dockerSocket;

(socket ? describe : describe.skip)(
  socket ? 'proxy collector (mutual TLS) with the docker CLI' : skipReason('DOCKER_HOST', 'dockerd'),
  () => {
    let harness: ProxyHarness;
    let certs: TestCerts;
    let context: WorkflowContext;
    beforeAll(async () => {
      certs = makeCerts();
      harness = await startProxy({ upstreamSocket: socket!, tls: certs.server });
      context = {
        socket: socket!,
        harness,
        target: { host: `tcp://127.0.0.1:${harness.port}`, tlsDir: certs.clientDir },
        tlsDir: certs.clientDir,
        checkClient: (e) => {
          expect(e.tls?.client.subject).toContain(`CN=${certs.clientSubjectCN}`);
          expect(e.tls?.client.subject).toContain('O=dockguard');
          expect(e.tls?.client.issuer).toContain('CN=dockguard test CA');
          expect(e.tls?.client.hash_sha256).toBe(certs.clientFingerprint);
          expect(e.source.ip).toBe('127.0.0.1');
        },
      };
    });
    afterAll(async () => {
      await harness.close();
      fs.rmSync(certs.dir, { recursive: true, force: true });
      expect(harness.proxy.stats.publishFailures).toBe(0);
    });

    workflowSuite(() => context);

    it('every event of the suite carries the client certificate', () => {
      expect(harness.events.length).toBeGreaterThan(20);
      for (const e of harness.events) context.checkClient(e);
    });

    it('a client without a certificate is refused during the handshake and no call reaches dockerd', async () => {
      const before = harness.events.length;
      const outcome = await new Promise<string>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: harness.port, ca: fs.readFileSync(`${certs.dir}/ca.pem`) });
        let data = '';
        s.on('secureConnect', () =>
          s.write('GET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n'),
        );
        s.on('data', (c: Buffer) => (data += c.toString()));
        s.on('error', (e) => resolve(`error: ${e.message}`));
        s.on('close', () => resolve(data === '' ? 'closed without answer' : `answered: ${data}`));
      });
      expect(outcome).not.toMatch(/^answered/);
      const cli = await docker({ host: `tcp://127.0.0.1:${harness.port}` }, ['ps']);
      expect(cli.code).not.toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(harness.events.length).toBe(before);
    });
  },
);
