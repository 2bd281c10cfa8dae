/**
 * The benign run: DOCKGUARD_BENIGN_CALLS (default 10,000) calls of realistic
 * legitimate Docker API use (test/traffic/benign-traffic.ts) through the proxy
 * collector against the real dockerd, every audit event through the
 * DetectorPipeline with the shipped pack. Invariant: no `high` or `critical`
 * finding (an analyst paged by ordinary work stops reading the pages). The
 * lower-level findings per rule are printed; with DOCKGUARD_BENIGN_REPORT=<file>
 * they are also written as JSON (docs/benign-run.json feeds docs/rules.md's
 * "FP on benign run" column).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateBenignTraffic } from '../traffic/benign-traffic';
import { detectAll, startCapture, type CaptureSession } from '../traffic/proxy-capture';
import { localServices, skipReason } from '../services/local-services';

const services = localServices();
const socket = services.dockerSocket;
const CALLS = Number(process.env.DOCKGUARD_BENIGN_CALLS ?? 10_000);
const describeDocker = socket ? describe : describe.skip;
const title = socket ? `benign run (${CALLS} calls) through the proxy collector` : skipReason('DOCKER_HOST', 'dockerd');

describeDocker(title, () => {
  let session: CaptureSession;
  let workDir: string;

  beforeAll(async () => {
    if (!Number.isInteger(CALLS) || CALLS < 1) throw new Error('DOCKGUARD_BENIGN_CALLS must be a positive integer');
    session = await startCapture(socket!);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-benign-'));
  });
  afterAll(async () => {
    await session?.close();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it(
    'raises no high or critical finding',
    async () => {
      const started = Date.now();
      const stats = await generateBenignTraffic({
        target: { host: '127.0.0.1', port: session.proxy.port },
        calls: CALLS,
        image: services.testImage,
        workDir,
        // unique names: another suite may run the generator on the same daemon
        namePrefix: `bn${Math.random().toString(36).slice(2, 8)}`,
      });
      const trafficMs = Date.now() - started;
      const events = session.proxy.events;
      expect(stats.calls).toBeGreaterThanOrEqual(CALLS);
      // every call was audited, and the daemon did not fail under the proxy
      expect(events.length).toBeGreaterThanOrEqual(stats.calls);
      expect(stats.serverErrors).toBe(0);
      const detectStarted = Date.now();
      const findings = detectAll(events);
      const detectMs = Date.now() - detectStarted;

      const perRule: Record<string, { name: string; level: string; count: number }> = {};
      for (const f of findings) {
        const r = (perRule[f.rule.id] ??= { name: f.rule.name, level: f.event.level, count: 0 });
        r.count++;
      }
      console.log(
        `benign run: ${stats.calls} calls (${JSON.stringify(stats.byRole)}), ${events.length} events, ` +
          `traffic ${(trafficMs / 1000).toFixed(1)} s, detection ${(detectMs / 1000).toFixed(1)} s; ` +
          `findings per rule:\n${
            Object.entries(perRule)
              .sort((a, b) => b[1].count - a[1].count)
              .map(([id, r]) => `  ${String(r.count).padStart(6)}  ${r.level.padEnd(13)} ${r.name} [${id}]`)
              .join('\n') || '  (none)'
          }`,
      );
      const report = process.env.DOCKGUARD_BENIGN_REPORT;
      if (report) {
        const counts = Object.fromEntries(Object.entries(perRule).map(([id, r]) => [id, r.count]));
        fs.writeFileSync(
          report,
          JSON.stringify({ calls: stats.calls, events: events.length, seed: 42, findingsPerRule: counts }, null, 2) +
            '\n',
        );
      }
      const severe = findings.filter((f) => f.event.level === 'high' || f.event.level === 'critical');
      if (severe.length > 0)
        console.log(
          `high/critical findings on benign traffic:\n${severe
            .slice(0, 50)
            .map((f) => `  ${f.event.level} ${f.rule.name} [${f.rule.id}]: ${f.message}`)
            .join('\n')}`,
        );
      expect(severe.map((f) => `${f.event.level} ${f.rule.name}: ${f.message}`)).toEqual([]);
    },
    60 * 60_000,
  );
});
