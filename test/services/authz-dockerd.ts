// A second, private dockerd for the authorization-plugin tests, started with
// --authorization-plugin=<unique name>. The shared dockerd of the other suites is
// never touched: this one has its own socket, data root, exec root, pid file,
// config file and containerd namespaces, all under one short /tmp directory
// (unix socket paths are limited to 108 bytes and dockerd nests sockets deep in
// its exec root).
//
// dockerd finds plugins only through fixed paths (/run/docker/plugins,
// /etc/docker/plugins, /usr/lib/docker/plugins; no flag moves them), so the spec
// file goes to /etc/docker/plugins/<name>.spec with a name unique to this run.
//
// Order (FACTS.md): the plugin must answer before dockerd starts (dockerd does not
// start without it) and dockerd must stop before the plugin (a plugin that is down
// makes every call hang ~45 s).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeSpecFile, removeSpecFile, DEFAULT_SPEC_DIR } from '../../pipelines/adapters/docker-authz-spec';
import { dockerApi, run } from './local-services';

export interface AuthzDockerd {
  pluginName: string;
  /** dockerd's API socket. */
  socketPath: string;
  dockerHost: string;
  /** Where the plugin under test must listen (inside this run's directory). */
  pluginSocket: string;
  dir: string;
  /** Runs the docker CLI against this daemon. */
  docker(args: string[], input?: string, timeoutMs?: number): ReturnType<typeof run>;
  stop(): Promise<void>;
}

/** The CLI that came with dockerd (same API version); /usr/local/bin may hold another one. */
export function dockerCli(): string {
  for (const c of ['/usr/bin/docker', '/usr/sbin/docker']) if (fs.existsSync(c)) return c;
  return 'docker';
}

export function newAuthzRun(): { id: string; dir: string; pluginName: string; pluginSocket: string } {
  const id = randomBytes(4).toString('hex');
  const dir = `/tmp/dga-${id}`;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { id, dir, pluginName: `dockguard-test-${id}`, pluginSocket: path.join(dir, 'plugin.sock') };
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>, log?: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = log && fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
  throw new Error(`${what} not ready in ${timeoutMs} ms\n${tail}`);
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids whose command line contains `needle` (a path unique to this run). */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/**
 * Starts dockerd with the plugin (which must already listen on `authzRun.pluginSocket`),
 * loads the test image from the shared daemon and tags it alpine:latest.
 */
export async function startAuthzDockerd(
  authzRun: { id: string; dir: string; pluginName: string; pluginSocket: string },
  opts: {
    sharedDockerSocket: string;
    testImage: string;
    withPlugin?: boolean;
    /**
     * Keep images and containers on tmpfs (/dev/shm) instead of in the run's
     * directory: that takes the disk's syncs out of a create, which benchmarks of
     * the API path want.
     */
    dataOnTmpfs?: boolean;
  },
): Promise<AuthzDockerd> {
  const { id, dir, pluginName, pluginSocket } = authzRun;
  const withPlugin = opts.withPlugin ?? true;
  const socketPath = path.join(dir, 'd.sock');
  const dockerHost = `unix://${socketPath}`;
  const exec = path.join(dir, 'x');
  const log = path.join(dir, 'dockerd.log');
  const dataRoot = opts.dataOnTmpfs ? `/dev/shm/dockguard-bench-${id}` : path.join(dir, 'data');
  fs.mkdirSync(dataRoot, { recursive: true });
  fs.mkdirSync(exec, { recursive: true });
  fs.writeFileSync(path.join(dir, 'daemon.json'), '{}');
  if (withPlugin) writeSpecFile(DEFAULT_SPEC_DIR, pluginName, pluginSocket);
  const out = fs.openSync(log, 'a');
  const child = spawn(
    'dockerd',
    [
      '--host',
      dockerHost,
      '--data-root',
      dataRoot,
      '--exec-root',
      exec,
      '--pidfile',
      path.join(dir, 'dockerd.pid'),
      '--config-file',
      path.join(dir, 'daemon.json'),
      '--containerd-namespace',
      `dga-${id}`,
      '--containerd-plugins-namespace',
      `dga-${id}-plugins`,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--storage-driver=vfs',
      ...(withPlugin ? [`--authorization-plugin=${pluginName}`] : []),
    ],
    { stdio: ['ignore', out, out], detached: true },
  );
  fs.closeSync(out);
  const docker = (args: string[], input?: string, timeoutMs = 90_000) =>
    run(dockerCli(), ['-H', dockerHost, ...args], input, timeoutMs);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (!(await exited(child, 30_000))) {
        child.kill('SIGKILL');
        await exited(child, 5_000);
      }
    }
    // after a SIGKILL the containerd dockerd started lives on
    const cpid = path.join(exec, 'containerd', 'containerd.pid');
    if (fs.existsSync(cpid)) {
      const pid = Number(fs.readFileSync(cpid, 'utf8').trim());
      if (pid > 0 && pidAlive(pid)) {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      }
    }
    // container shims outlive dockerd when it could not stop their containers; ours name our exec root
    for (const pid of processesMentioning(`${exec}/`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    // a clean exit unmounts; after a kill the mounts stay and rm -rf would reach through them
    const mounts = await run('findmnt', ['-rn', '-o', 'TARGET']).catch(() => ({ stdout: '' }));
    const ours = mounts.stdout
      .split('\n')
      .filter((m) => [dir, dataRoot].some((d) => m === d || m.startsWith(`${d}/`)))
      .sort()
      .reverse();
    for (const m of ours) await run('umount', ['-l', m]).catch(() => undefined);
    if (withPlugin) removeSpecFile(DEFAULT_SPEC_DIR, pluginName);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(dataRoot, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'private dockerd',
      60_000,
      async () => (await dockerApi(socketPath, 'GET', '/_ping')).status === 200,
      log,
    );
    // docker save | docker load keeps the image id and tags; no registry is needed
    const has = await docker(['image', 'inspect', opts.testImage]);
    if (has.code !== 0) {
      const saved = path.join(dir, 'image.tar');
      const save = await run(dockerCli(), [
        '-H',
        `unix://${opts.sharedDockerSocket}`,
        'save',
        '-o',
        saved,
        opts.testImage,
      ]);
      if (save.code !== 0) throw new Error(`docker save: ${save.stderr}`);
      const load = await docker(['load', '-i', saved]);
      if (load.code !== 0) throw new Error(`docker load: ${load.stderr}`);
      fs.rmSync(saved, { force: true });
      for (const tag of ['alpine:latest', 'busybox:latest']) await docker(['tag', opts.testImage, tag]);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { pluginName, socketPath, dockerHost, pluginSocket, dir, docker, stop };
}

/** The image benchmarks create containers from: one empty file, so a create copies next to nothing. */
export const TINY_IMAGE = 'dockguard-bench/tiny:latest';

/**
 * Imports TINY_IMAGE into each daemon. With the vfs storage driver a create copies
 * the image's files, which would measure the disk, not the API path (busybox: ~2 s a
 * create here).
 */
export async function importTinyImage(workDir: string, daemons: readonly AuthzDockerd[]): Promise<string> {
  const tiny = path.join(workDir, 'tiny');
  fs.mkdirSync(tiny, { recursive: true });
  fs.writeFileSync(path.join(tiny, 'true'), '');
  const tar = path.join(workDir, 'tiny.tar');
  const packed = await run('tar', ['-C', tiny, '-cf', tar, '.']);
  if (packed.code !== 0) throw new Error(`tar: ${packed.stderr}`);
  for (const d of daemons) {
    const imported = await d.docker(['import', tar, TINY_IMAGE]);
    if (imported.code !== 0) throw new Error(`docker import: ${imported.stderr}`);
  }
  return TINY_IMAGE;
}
