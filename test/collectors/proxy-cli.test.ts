// The plain-TCP proxy in front of the local dockerd, driven by the real docker CLI.
import { localServices, skipReason } from '../services/local-services';
import { startProxy, type ProxyHarness } from './proxy-harness';
import { workflowSuite, type WorkflowContext } from './proxy-workflows';

const services = localServices();
const socket = services.dockerSocket;

(socket ? describe : describe.skip)(
  socket ? 'proxy collector (plain TCP) with the docker CLI' : skipReason('DOCKER_HOST', 'dockerd'),
  () => {
    let harness: ProxyHarness;
    let context: WorkflowContext;
    beforeAll(async () => {
      harness = await startProxy({ upstreamSocket: socket! });
      context = {
        socket: socket!,
        harness,
        target: { host: `tcp://127.0.0.1:${harness.port}` },
        checkClient: (e) => {
          expect(e.tls).toBeNull();
          expect(e.source.ip).toBe('127.0.0.1');
          expect(e.collector).toEqual({ id: 'test-proxy', mode: 'proxy' });
        },
      };
    });
    afterAll(async () => {
      await harness.close();
      // Nothing failed on the way to the sink.
      expect(harness.proxy.stats.publishFailures).toBe(0);
      expect(harness.proxy.stats.policyErrors).toBe(0);
    });

    workflowSuite(() => context);
  },
);
