/**
 * Realistic legitimate Docker Engine API use, run against the real dockerd
 * (through a collector): an orchestrator polling, a CI runner building and
 * running test containers, compose up/down, developers using exec, logs and
 * inspect, and backup jobs with ordinary binds. Each role is its own client
 * (a distinct loopback source address and User-Agent). Deterministic for a
 * seed: the same seed issues the same calls in the same order per role.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DockerClient, type DockerTarget, tarOf } from './docker-client';
import { mulberry32 } from './prng';

export interface BenignOptions {
  target: DockerTarget;
  /** Total number of API calls to issue (at least). */
  calls: number;
  seed?: number;
  /** Image that exists locally, e.g. alpine:latest. */
  image: string;
  /** Host directory for the backup jobs' bind mounts. */
  workDir: string;
  onProgress?: (done: number) => void;
  /** Prefix of container, project and image names (lower case), so that two runs on one daemon do not collide. */
  namePrefix?: string;
}

export interface BenignStats {
  calls: number;
  byRole: Record<string, number>;
  /** Calls answered with a status ≥ 500 (a daemon or collector failure, not an expected 404/409). */
  serverErrors: number;
  containersCreated: number;
}

const ROLES = {
  orchestrator: { localAddress: '127.0.0.10', userAgent: 'Go-http-client/1.1' },
  ci: { localAddress: '127.0.0.11', userAgent: 'Docker-Client/20.10.24 (linux)' },
  compose: { localAddress: '127.0.0.12', userAgent: 'docker-compose/1.29.2 docker-py/5.0.3 Linux/6.1.0' },
  developer: { localAddress: '127.0.0.13', userAgent: 'Docker-Client/20.10.24 (linux)' },
  backup: { localAddress: '127.0.0.14', userAgent: 'Docker-Client/20.10.24 (linux)' },
} as const;
type Role = keyof typeof ROLES;

export async function generateBenignTraffic(o: BenignOptions): Promise<BenignStats> {
  const rand = mulberry32(o.seed ?? 42);
  const px = o.namePrefix ?? 'benign';
  const clients = Object.fromEntries(
    Object.entries(ROLES).map(([role, c]) => [role, new DockerClient(o.target, c)]),
  ) as Record<Role, DockerClient>;
  const stats: BenignStats = { calls: 0, byRole: {}, serverErrors: 0, containersCreated: 0 };
  const running = new Set<string>();
  fs.mkdirSync(path.join(o.workDir, 'srv-data'), { recursive: true });
  fs.mkdirSync(path.join(o.workDir, 'backups'), { recursive: true });
  fs.writeFileSync(path.join(o.workDir, 'srv-data', 'db.dump'), 'rows\n');

  const call = async (role: Role, method: string, p: string, body?: unknown) => {
    const r = await clients[role].call(method, p, body);
    stats.calls++;
    stats.byRole[role] = (stats.byRole[role] ?? 0) + 1;
    if (r.status >= 500) stats.serverErrors++;
    if (stats.calls % 500 === 0) o.onProgress?.(stats.calls);
    return r;
  };
  const created = async (role: Role, p: string, body: unknown): Promise<string | null> => {
    const r = await call(role, 'POST', p, body);
    const id = r.status === 201 ? DockerClient.json<{ Id: string }>(r)?.Id : undefined;
    if (id) stats.containersCreated++;
    return id ?? null;
  };

  // one long-running service container the orchestrator and developers look at
  const svc = await created('compose', `/v1.41/containers/create?name=${px}-web-1`, {
    Image: o.image,
    Cmd: ['sh', '-c', 'while true; do sleep 5; done'],
    Labels: { 'com.docker.compose.project': px, 'com.docker.compose.service': 'web' },
    HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'unless-stopped' } },
  });
  if (svc) {
    await call('compose', 'POST', `/v1.41/containers/${svc}/start`);
    running.add(svc);
  }

  const ciJob = async (n: number) => {
    const tag = `${px}/ci-app:${n}`;
    const ctx = tarOf({
      Dockerfile: `FROM ${o.image}\nLABEL org.opencontainers.image.source=https://git.example/app\nCOPY test.sh /test.sh\nCMD ["sh", "/test.sh"]\n`,
      'test.sh': 'echo "running unit tests"; echo ok\n',
    });
    await clients.ci.call('POST', `/v1.41/build?t=${encodeURIComponent(tag)}&rm=1&networkmode=none`, ctx);
    stats.calls++;
    stats.byRole.ci = (stats.byRole.ci ?? 0) + 1;
    const id = await created('ci', '/v1.41/containers/create', {
      Image: tag,
      Env: ['CI=true', 'CI_JOB_ID=' + n],
      Labels: { 'ci.job': String(n) },
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
    if (id) {
      await call('ci', 'POST', `/v1.41/containers/${id}/start`);
      await call('ci', 'POST', `/v1.41/containers/${id}/wait`);
      await call('ci', 'GET', `/v1.41/containers/${id}/logs?stdout=1&stderr=1`);
      await call('ci', 'DELETE', `/v1.41/containers/${id}?v=1`);
    }
    // the docker CLI writes the reference as is, slashes and colon unescaped
    await call('ci', 'DELETE', `/v1.41/images/${tag}`);
  };

  const composeUpDown = async (n: number) => {
    const project = `${px}shop${n}`;
    const net = await call('compose', 'POST', '/v1.41/networks/create', {
      Name: `${project}_default`,
      Driver: 'bridge',
      Labels: { 'com.docker.compose.project': project },
      CheckDuplicate: true,
    });
    const netId = DockerClient.json<{ Id: string }>(net)?.Id;
    await call('compose', 'POST', '/v1.41/volumes/create', { Name: `${project}_data`, Driver: 'local' });
    const ids: string[] = [];
    for (const service of ['db', 'api']) {
      const id = await created('compose', `/v1.41/containers/create?name=${project}_${service}_1`, {
        Image: o.image,
        Cmd: ['sh', '-c', 'sleep 30'],
        Env: ['POSTGRES_PASSWORD=not-a-real-secret', 'TZ=UTC'],
        Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': service },
        HostConfig: { NetworkMode: 'none', Binds: [`${project}_data:/var/lib/data`] },
      });
      if (id) ids.push(id);
    }
    for (const id of ids) await call('compose', 'POST', `/v1.41/containers/${id}/start`);
    await call(
      'compose',
      'GET',
      `/v1.41/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }))}`,
    );
    for (const id of ids) {
      await call('compose', 'POST', `/v1.41/containers/${id}/stop?t=0`);
      await call('compose', 'DELETE', `/v1.41/containers/${id}?v=1`);
    }
    await call('compose', 'DELETE', `/v1.41/volumes/${project}_data`);
    if (netId) await call('compose', 'DELETE', `/v1.41/networks/${netId}`);
  };

  const developer = async () => {
    if (!svc) return;
    const pick = rand();
    if (pick < 0.4) {
      const e = await call('developer', 'POST', `/v1.41/containers/${svc}/exec`, {
        Cmd: rand() < 0.5 ? ['ls', '-la', '/'] : ['cat', '/etc/hostname'],
        AttachStdout: true,
        AttachStderr: true,
      });
      const execId = DockerClient.json<{ Id: string }>(e)?.Id;
      if (execId) {
        await call('developer', 'POST', `/v1.41/exec/${execId}/start`, { Detach: false, Tty: false });
        await call('developer', 'GET', `/v1.41/exec/${execId}/json`);
      }
    } else if (pick < 0.7) {
      await call('developer', 'GET', `/v1.41/containers/${svc}/logs?stdout=1&stderr=1&tail=100`);
    } else if (pick < 0.85) {
      await call('developer', 'GET', `/v1.41/containers/${svc}/top`);
    } else {
      await call('developer', 'GET', `/v1.41/images/json`);
    }
  };

  const backup = async (n: number) => {
    const id = await created('backup', `/v1.41/containers/create?name=${px}-backup-${n}`, {
      Image: o.image,
      Cmd: ['tar', 'czf', `/backup/data-${n}.tgz`, '-C', '/data', '.'],
      HostConfig: {
        NetworkMode: 'none',
        Binds: [`${path.join(o.workDir, 'srv-data')}:/data:ro`, `${path.join(o.workDir, 'backups')}:/backup`],
      },
    });
    if (id) {
      await call('backup', 'POST', `/v1.41/containers/${id}/start`);
      await call('backup', 'POST', `/v1.41/containers/${id}/wait`);
      await call('backup', 'DELETE', `/v1.41/containers/${id}`);
    }
  };

  const orchestratorPoll = async () => {
    await call('orchestrator', 'GET', '/v1.41/containers/json');
    for (const id of running) {
      await call('orchestrator', 'GET', `/v1.41/containers/${id}/json`);
      await call('orchestrator', 'GET', `/v1.41/containers/${id}/stats?stream=false&one-shot=true`);
    }
    if (rand() < 0.1) await call('orchestrator', 'GET', '/v1.41/info');
    if (rand() < 0.05) await call('orchestrator', 'GET', '/v1.41/version');
    await call('orchestrator', 'GET', '/_ping');
  };

  // Every role runs its own loop until the call budget is spent: the orchestrator
  // and developers issue many cheap calls while CI, compose and backups issue
  // fewer, slower ones (a container create copies the rootfs on vfs).
  const loop = async (step: (n: number) => Promise<void>) => {
    for (let n = 1; stats.calls < o.calls; n++) await step(n);
  };
  try {
    await Promise.all([
      loop(() => orchestratorPoll()),
      loop(() => orchestratorPoll()),
      loop(() => developer()),
      loop((n) => ciJob(n)),
      loop((n) => composeUpDown(n)),
      loop((n) => backup(n)),
    ]);
  } finally {
    if (svc) await clients.compose.call('DELETE', `/v1.41/containers/${svc}?force=1&v=1`);
    for (const c of Object.values(clients)) c.close();
  }
  return stats;
}
