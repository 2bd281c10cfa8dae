/**
 * deploy/compose as docker-compose renders it (`docker-compose config` with
 * .env.example): every image ours or pinned, every dependency, volume, secret and
 * network declared, healthchecks on the ops server's /readyz, commands that the CLI
 * knows, hardened dockguard containers, and a configuration that every service's
 * sections accept with that service's environment.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, readSection } from '../../pipelines/config/config';
import {
  asArr,
  asObj,
  cliCommands,
  COMPOSE_DIR,
  composeBinary,
  declaredSections,
  intendedCommand,
  OPS_PORT,
  renderCompose,
  resolveCommand,
  type Obj,
} from './deploy-kit';

/** The service commands the deployment runs; the CLI registry gains them during the day. */
const SERVICE_COMMANDS = ['collect', 'detect', 'index', 'setup kafka', 'setup elasticsearch', 'run'];

const bin = composeBinary();
const suite = bin ? describe : describe.skip;
if (!bin) console.warn('skipped: docker-compose is not installed (apt-get install -y docker-compose)');

const isOurs = (image: string): boolean => /^dockguard(:|@)/.test(image) || /\/dockguard(:|@)/.test(image);
const isPinned = (image: string): boolean =>
  /@sha256:[0-9a-f]{64}$/.test(image) ||
  (/:[^:/@]+$/.test(image.replace(/^[^/]*:\d+\//, 'x/')) && !image.endsWith(':latest'));

suite('docker-compose deployment', () => {
  let doc: Obj;
  let services: Record<string, Obj>;
  beforeAll(() => {
    doc = renderCompose(['authz']);
    services = asObj(doc.services) as Record<string, Obj>;
  });
  const ours = (): [string, Obj][] => Object.entries(services).filter(([, s]) => isOurs(String(s.image)));

  test('the file passes docker-compose validation and has the expected roles', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        'kafka',
        'elasticsearch',
        'kibana',
        'setup-kafka',
        'setup-elasticsearch',
        'collector',
        'detector',
        'indexer',
      ]),
    );
  });

  test('every image is ours or pinned to a version (never latest, never untagged)', () => {
    for (const [name, s] of Object.entries(services)) {
      const image = String(s.image);
      expect({ name, image, ok: isOurs(image) || isPinned(image) }).toEqual({ name, image, ok: true });
    }
  });

  test('depends_on names existing services, and service_healthy only those with a healthcheck', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, cond] of Object.entries(asObj(s.depends_on))) {
        expect({ name, dep, exists: dep in services }).toEqual({ name, dep, exists: true });
        const condition = asObj(cond).condition;
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy') {
          const hc = asObj(services[dep]?.healthcheck);
          expect({ dep, hasHealthcheck: Array.isArray(hc.test) && hc.disable !== true }).toEqual({
            dep,
            hasHealthcheck: true,
          });
        }
        if (condition === 'service_completed_successfully') expect(services[dep]?.restart).toBe('no');
      }
    }
  });

  test('named volumes, secrets and networks are declared; bind-mounted files exist', () => {
    const volumes = asObj(doc.volumes);
    const secrets = asObj(doc.secrets);
    const networks = asObj(doc.networks);
    for (const [name, s] of Object.entries(services)) {
      for (const v of asArr(s.volumes)) {
        const source = typeof v === 'string' ? v.split(':')[0]! : String(asObj(v).source);
        if (source.startsWith('/')) {
          // files of this repository must exist; host paths (docker.sock, /run/dockguard) are the operator's
          if (source.startsWith(path.resolve(COMPOSE_DIR, '../..')) && !source.endsWith('/kibana'))
            expect({ name, source, exists: fs.existsSync(source) }).toEqual({ name, source, exists: true });
        } else expect({ name, source, declared: source in volumes }).toEqual({ name, source, declared: true });
      }
      for (const sec of asArr(s.secrets)) {
        const src = typeof sec === 'string' ? sec : String(asObj(sec).source);
        expect({ name, src, declared: src in secrets }).toEqual({ name, src, declared: true });
      }
      for (const n of Object.keys(asObj(s.networks)))
        expect({ name, n, declared: n in networks }).toEqual({ name, n, declared: true });
    }
  });

  test('long-running dockguard services are checked on /readyz of the ops port; jobs do not restart', () => {
    const running = ours().filter(([, s]) => s.restart !== 'no');
    expect(running.map(([n]) => n).sort()).toEqual(['collector', 'collector-authz', 'detector', 'indexer']);
    for (const [name, s] of running) {
      const test = asArr(asObj(s.healthcheck).test).join(' ');
      expect({ name, probe: test.includes(`127.0.0.1:${OPS_PORT}/readyz`) }).toEqual({ name, probe: true });
    }
  });

  test('dockguard containers run as 10001, read-only, without capabilities or privilege escalation', () => {
    for (const [name, s] of ours()) {
      expect({ name, user: s.user, read_only: s.read_only, cap_drop: s.cap_drop }).toEqual({
        name,
        user: '10001:10001',
        read_only: true,
        cap_drop: ['ALL'],
      });
      expect(asArr(s.security_opt)).toContain('no-new-privileges:true');
      expect(s.privileged).toBeUndefined();
    }
  });

  test('detectors can be scaled: no container_name, no host port', () => {
    for (const name of ['detector', 'indexer']) {
      expect(services[name]?.container_name).toBeUndefined();
      expect(services[name]?.ports).toBeUndefined();
    }
  });

  test('only the proxy and Kibana publish ports, and by default on loopback only', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const p of asArr(s.ports)) {
        const spec = typeof p === 'string' ? p : `${String(asObj(p).host_ip)}:${String(asObj(p).published)}`;
        expect({ name, loopback: spec.startsWith('127.0.0.1:') }).toEqual({ name, loopback: true });
      }
    }
  });

  test('the collector and detectors cannot reach Elasticsearch; the indexer reaches both sides', () => {
    const nets = (n: string): string[] => Object.keys(asObj(services[n]?.networks)).sort();
    expect(nets('collector')).toEqual(['bus']);
    expect(nets('detector')).toEqual(['bus']);
    expect(nets('indexer')).toEqual(['bus', 'search']);
    expect(nets('elasticsearch')).toEqual(['search']);
  });

  test('every dockguard command is a CLI sub-command (commands still being written are listed, not failed)', () => {
    const commands = cliCommands();
    if (!commands) {
      console.warn('dist/ is not built (npm run build): command check skipped');
      return;
    }
    const pending: string[] = [];
    for (const [name, s] of ours()) {
      const args = asArr(s.command).map(String);
      const cmd = resolveCommand(commands, args);
      if (cmd === null) pending.push(`${name}: dockguard ${intendedCommand(args)}`);
      else expect(args).toContain('--config');
    }
    if (pending.length)
      console.warn(`not yet in the CLI (pipelines/cli/commands.ts), skipped:\n  ${pending.join('\n  ')}`);
    // what the manifests run is one of the service commands of the design (issue 7), nothing else
    for (const [, s] of ours()) expect(SERVICE_COMMANDS).toContain(intendedCommand(asArr(s.command).map(String)));
  });

  test("dockguard.yml with each service's environment passes every declared configuration section", () => {
    const { sections, unloadable } = declaredSections();
    if (unloadable.size) console.warn(`configuration modules not loadable yet: ${[...unloadable].join('; ')}`);
    const file = path.join(COMPOSE_DIR, 'dockguard.yml');
    const undeclared = new Set<string>();
    for (const [name, s] of ours()) {
      const env = Object.fromEntries(Object.entries(asObj(s.environment)).map(([k, v]) => [k, String(v)]));
      const raw = loadConfig(file, env);
      for (const key of Object.keys(raw.values)) {
        const section = sections.get(key);
        if (!section) {
          undeclared.add(key);
          continue;
        }
        let error = '';
        try {
          readSection(raw, section);
        } catch (e) {
          error = (e as Error).message;
        }
        expect({ service: name, section: key, error }).toEqual({ service: name, section: key, error: '' });
      }
      // the ops server must listen where the healthcheck asks
      const ops = sections.get('ops');
      if (ops) expect(asObj(readSection(raw, ops)).port).toBe(OPS_PORT);
    }
    if (undeclared.size) console.warn(`sections without a schema yet (not checked): ${[...undeclared].join(', ')}`);
    expect(sections.has('ops') && sections.has('log') && sections.has('kafka') && sections.has('collector')).toBe(true);
  });
});
