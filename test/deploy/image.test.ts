/**
 * The image, built the registry-free way on the local dockerd (deploy/image/
 * build-local.sh: a base from this host's node binary, then the Dockerfile with
 * PREBUILT=1), and run as a deployment runs it: --network none, read-only root, no
 * capabilities. ONE test, because a build is slow (~40 s cold, ~20 s with cached
 * layers on this VM); it prints its timings.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { localServices, skipReason } from '../services/local-services';
import { ROOT } from './deploy-kit';

const services = localServices();
const suite = services.dockerSocket ? describe : describe.skip;
if (!services.dockerSocket) console.warn(skipReason('DOCKER_HOST', 'dockerd'));

/** The docker CLI next to dockerd (20.10, BuildKit built in); a newer CLI may lack buildx. */
function dockerCli(): string {
  if (process.env.DOCKGUARD_DOCKER_CLI) return process.env.DOCKGUARD_DOCKER_CLI;
  return fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 300_000) {
  const started = performance.now();
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  });
  return {
    code: r.status,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    seconds: (performance.now() - started) / 1000,
  };
}

suite('dockguard image on the local dockerd', () => {
  const docker = dockerCli();
  const tag = `dockguard-test/image-${process.pid}-${Math.random().toString(36).slice(2, 8)}:test`;
  afterAll(() => {
    sh(docker, ['rmi', '-f', tag]);
  });

  test('builds without a registry and runs `dockguard help` as 10001 with a read-only root and no network', () => {
    const built = fs.existsSync(path.join(ROOT, 'dist/pipelines/cli/main.js'));
    const build = sh('deploy/image/build-local.sh', [tag], { DOCKER: docker, COMPILE: built ? '0' : '1' }, 540_000);
    expect({ code: build.code, stderr: build.code === 0 ? '' : build.stderr.slice(-3000) }).toEqual({
      code: 0,
      stderr: '',
    });

    const hardened = ['run', '--rm', '--network', 'none', '--read-only', '--cap-drop', 'ALL'];
    const help = sh('timeout', [
      '-s',
      'KILL',
      '120',
      docker,
      ...hardened,
      '--security-opt',
      'no-new-privileges',
      tag,
      'help',
    ]);
    expect({ code: help.code, stderr: help.stderr }).toEqual({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^usage:\n/);
    expect(help.stdout).toContain('dockguard match');
    expect(help.stdout).toContain('dockguard help');

    // What the deployment relies on: user 10001, code not writable, schemas and rules
    // where the services look, production dependencies present, dev ones and rdkafka absent.
    const probe = `
      const fs = require('fs');
      const out = { uid: process.getuid(), gid: process.getgid() };
      try { fs.writeFileSync('/app/dist/x', 'x'); out.appWritable = true; } catch { out.appWritable = false; }
      out.avro = fs.existsSync('/app/schemas/avro/docker-api-event.avsc');
      out.rules = fs.readdirSync('/app/sigma-rules').length > 0;
      for (const m of ['kafkajs', '@elastic/elasticsearch', 'pino', 'prom-client', 'avsc', 'js-yaml', 'ajv']) require.resolve(m);
      const has = (m) => { try { require.resolve(m); return true; } catch { return false; } };
      out.typescript = has('typescript'); out.jest = has('jest'); out.rdkafka = has('node-rdkafka');
      console.log(JSON.stringify(out));`;
    const inside = sh('timeout', [
      '-s',
      'KILL',
      '120',
      docker,
      ...hardened,
      '--entrypoint',
      'node',
      '-w',
      '/app',
      tag,
      '-e',
      probe,
    ]);
    expect(inside.code).toBe(0);
    expect(JSON.parse(inside.stdout.trim())).toEqual({
      uid: 10001,
      gid: 10001,
      appWritable: false,
      avro: true,
      rules: true,
      typescript: false,
      jest: false,
      rdkafka: false,
    });

    const size = Number(sh(docker, ['image', 'inspect', '-f', '{{.Size}}', tag]).stdout.trim());
    expect(size).toBeGreaterThan(50 * 1024 * 1024); // node itself is ~100 MB: the size is real
    expect(size).toBeLessThan(250 * 1024 * 1024); // no dev dependencies, no build tool chain
    const summary = build.stdout.trim().split('\n').pop();
    console.log(
      `image ${(size / 1024 / 1024).toFixed(0)} MiB; build-local ${build.seconds.toFixed(1)} s (${summary}); ` +
        `run help ${help.seconds.toFixed(1)} s; probe ${inside.seconds.toFixed(1)} s`,
    );
  }, 900_000);
});
