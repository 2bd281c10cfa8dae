/**
 * 100 Sigma rules over Docker Engine API audit events, generated from families
 * of templates with a realistic mix of modifiers: equality, lists, contains,
 * startswith, endswith, `contains|all`, a few `re` and `cidr`, `1 of selection*`
 * and `selection and not filter`. Returned as YAML sources for `loadRules`;
 * nothing is written to sigma-rules/.
 */
import { dump } from 'js-yaml';
import type { RuleSource } from '../detectors/sigma/loader';

type Detection = Record<string, unknown>;

interface Spec {
  title: string;
  level: 'low' | 'medium' | 'high' | 'critical';
  detection: Detection;
}

const CREATE = { 'request.method': 'POST', 'request.endpoint|endswith': '/containers/create' };
const INTERNAL = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8'];

function families(): Spec[] {
  const s: Spec[] = [];
  const add = (title: string, level: Spec['level'], detection: Detection): void => {
    s.push({ title, level, detection });
  };

  // 1. privileged / host namespaces (equality on booleans and strings)
  add('Privileged container created', 'high', {
    selection: { ...CREATE, 'container.privileged': true },
    condition: 'selection',
  });
  for (const ns of ['network_mode', 'pid_mode', 'ipc_mode', 'userns_mode', 'uts_mode'])
    add(`Container shares the host ${ns.replace('_mode', '')} namespace`, 'high', {
      selection: { ...CREATE, [`container.${ns}`]: 'host' },
      condition: 'selection',
    });

  // 2. dangerous capabilities (one rule per capability; contains on a list field)
  for (const cap of [
    'SYS_ADMIN',
    'SYS_PTRACE',
    'SYS_MODULE',
    'NET_ADMIN',
    'DAC_READ_SEARCH',
    'SYS_RAWIO',
    'BPF',
    'SYS_BOOT',
    'NET_RAW',
    'ALL',
  ])
    add(`Container created with capability ${cap}`, cap === 'NET_RAW' ? 'low' : 'high', {
      selection: { ...CREATE, 'container.cap_add': [cap, `CAP_${cap}`] },
      condition: 'selection',
    });

  // 3. sensitive host paths mounted (startswith on binds)
  const paths: Array<[string, Spec['level']]> = [
    ['/', 'critical'],
    ['/etc', 'high'],
    ['/root', 'high'],
    ['/var/run/docker.sock', 'critical'],
    ['/run/docker.sock', 'critical'],
    ['/proc', 'high'],
    ['/sys', 'medium'],
    ['/boot', 'high'],
    ['/home', 'medium'],
    ['/var/lib/docker', 'high'],
    ['/etc/kubernetes', 'high'],
    ['/dev', 'high'],
    ['/run/containerd', 'high'],
  ];
  for (const [p, level] of paths)
    add(`Host path ${p} mounted into a container`, level, {
      selection: { ...CREATE, 'container.binds|startswith': `${p}:` },
      condition: 'selection',
    });

  // 4. security options and devices
  add('Container with seccomp or AppArmor disabled', 'high', {
    selection: {
      ...CREATE,
      'container.security_opt|contains': [
        'seccomp=unconfined',
        'seccomp:unconfined',
        'apparmor=unconfined',
        'apparmor:unconfined',
        'label=disable',
        'label:disable',
      ],
    },
    condition: 'selection',
  });
  for (const dev of ['/dev/sd', '/dev/nvme', '/dev/mem', '/dev/kmsg'])
    add(`Host device ${dev}* passed to a container`, 'high', {
      selection: { ...CREATE, 'container.devices|startswith': dev },
      condition: 'selection',
    });

  // 5. suspicious images (contains lists, one re)
  const imageSets: Array<[string, string[]]> = [
    ['Coin miner image', ['xmrig', 'monero', 'minergate', 'cpuminer', 'nicehash', 'ethminer']],
    ['Known malicious image (TeamTNT/Kinsing)', ['kinsing', 'kdevtmpfsi', 'teamtnt', 'hildegard', 'tntbot']],
    ['Network tooling image', ['alpine/socat', 'nicolaka/netshoot', 'instrumentisto/nmap', 'kalilinux/', 'parrotsec/']],
    ['Image from a public file host', ['ngrok.io', 'pastebin', 'transfer.sh', 'githubusercontent']],
  ];
  for (const [title, vals] of imageSets) {
    add(`${title} created`, 'high', {
      selection: { ...CREATE, 'container.image|contains': vals },
      condition: 'selection',
    });
    add(`${title} pulled`, 'medium', {
      selection: { 'request.endpoint': '/images/create', 'request.query.fromImage|contains': vals },
      condition: 'selection',
    });
  }
  add('Image pulled from an IP-address registry', 'medium', {
    selection: {
      'request.endpoint': '/images/create',
      'request.query.fromImage|re': '^[0-9]{1,3}(\\.[0-9]{1,3}){3}(:[0-9]+)?/',
    },
    condition: 'selection',
  });
  add('Container created from an image digest only', 'low', {
    selection: { ...CREATE, 'container.image|re': '^[a-f0-9]{64}$' },
    condition: 'selection',
  });

  // 6. reverse shells and downloaders in the container command (1 of selection*, contains|all)
  const shells: Array<[string, string[][]]> = [
    [
      'Reverse shell via /dev/tcp',
      [
        ['/dev/tcp/', '>&'],
        ['/dev/udp/', '>&'],
      ],
    ],
    [
      'Netcat shell',
      [
        ['nc ', ' -e '],
        ['ncat ', ' -e '],
        ['nc.traditional', ' -e '],
      ],
    ],
    [
      'Download piped to a shell',
      [
        ['curl ', '| sh'],
        ['curl ', '| bash'],
        ['wget ', '| sh'],
        ['wget ', '| bash'],
      ],
    ],
    [
      'Socat shell',
      [
        ['socat ', 'exec:'],
        ['socat ', 'tcp:'],
      ],
    ],
    [
      'Host escape via chroot or nsenter',
      [
        ['chroot ', '/host'],
        ['nsenter ', '--target 1'],
      ],
    ],
    [
      'SSH key implanted through a mount',
      [
        ['authorized_keys', 'echo '],
        ['authorized_keys', 'base64'],
      ],
    ],
    [
      'Python reverse shell',
      [
        ['python', 'socket', 'connect('],
        ['python', 'pty.spawn'],
      ],
    ],
  ];
  for (const [title, groups] of shells) {
    for (const field of ['container.cmd_line', 'exec.cmd_line']) {
      const det: Detection = {};
      groups.forEach((g, i) => (det[`selection_${i + 1}`] = { [`${field}|contains|all`]: g }));
      det['condition'] = '1 of selection_*';
      add(`${title} (${field.split('.')[0]})`, 'critical', det);
    }
  }
  add('Miner command line', 'high', {
    selection: { 'container.cmd_line|re': '(?i)(xmrig|minerd|cpuminer|stratum\\+tcp://)' },
    condition: 'selection',
  });
  add('Miner command line in exec', 'high', {
    selection: { 'exec.cmd_line|re': '(?i)(xmrig|minerd|cpuminer|stratum\\+tcp://)' },
    condition: 'selection',
  });

  // 7. interactive shells in exec
  add('Interactive root shell exec', 'medium', {
    selection: {
      'request.endpoint|endswith': '/exec',
      'exec.cmd_line': ['sh', 'bash', '/bin/sh', '/bin/bash', 'ash', 'zsh', 'bash -i', 'sh -i'],
      'exec.user': ['root', '0', ''],
    },
    condition: 'selection',
  });
  add('Privileged exec', 'high', {
    selection: { 'request.endpoint|endswith': '/exec', 'exec.privileged': true },
    condition: 'selection',
  });
  add('Exec reads credential files', 'high', {
    selection: {
      'exec.cmd_line|contains': [
        '/etc/shadow',
        '/etc/gshadow',
        '.aws/credentials',
        '.docker/config.json',
        '/var/run/secrets/kubernetes.io',
      ],
    },
    condition: 'selection',
  });
  add('Exec with TTY and stdin from outside the internal networks', 'high', {
    selection: { 'request.endpoint|endswith': '/exec', 'exec.tty': true, 'exec.attach_stdin': true },
    filter: { 'client.ip|cidr': INTERNAL },
    condition: 'selection and not filter',
  });

  // 8. sensitive API calls from outside the internal networks (cidr + not filter)
  const remoteEps: Array<[string, string, string]> = [
    ['Container created', 'POST', '/containers/create'],
    ['Image pulled', 'POST', '/images/create'],
    ['Daemon info queried', 'GET', '/info'],
    ['Version probed', 'GET', '/version'],
    ['Containers listed', 'GET', '/containers/json'],
    ['Secrets listed', 'GET', '/secrets'],
    ['Swarm inspected', 'GET', '/swarm'],
    ['Plugins listed', 'GET', '/plugins'],
  ];
  for (const [title, method, ep] of remoteEps)
    add(`${title} from outside the internal networks`, 'high', {
      selection: { 'request.method': method, 'request.endpoint': ep },
      filter_internal: { 'client.ip|cidr': INTERNAL },
      condition: 'selection and not filter_internal',
    });

  // 9. scanners and scripting clients
  const agents: Array<[string, string[]]> = [
    ['Internet scanner', ['masscan', 'zgrab', 'nmap', 'censys', 'shodan']],
    ['Python requests client', ['python-requests/', 'python-urllib', 'aiohttp/']],
    ['curl client', ['curl/']],
    ['Offensive framework client', ['metasploit', 'cobaltstrike', 'sliver']],
  ];
  for (const [title, vals] of agents)
    add(`${title} on the Docker API`, 'medium', {
      selection: { 'client.user_agent|contains': vals },
      condition: 'selection',
    });
  add('Unauthenticated API call', 'high', {
    selection: { 'client.auth_method': 'none' },
    filter: { 'request.endpoint': ['/_ping', '/version'] },
    condition: 'selection and not filter',
  });

  // 10. destructive, exfiltration and control-plane endpoints (startswith/endswith/equality)
  const eps: Array<[string, Spec['level'], Detection]> = [
    ['Container export', 'high', { 'request.method': 'GET', 'request.endpoint|endswith': '/export' }],
    [
      'Archive read of /etc',
      'high',
      {
        'request.endpoint|endswith': '/archive',
        'request.query.path|startswith': ['/etc', '/root', '/var/run/secrets'],
      },
    ],
    ['Container commit', 'low', { 'request.method': 'POST', 'request.endpoint': '/commit' }],
    [
      'Forced container removal with volumes',
      'low',
      {
        'request.method': 'DELETE',
        'request.endpoint|startswith': '/containers/',
        'request.query.force': '1',
        'request.query.v': '1',
      },
    ],
    ['Containers pruned', 'medium', { 'request.method': 'POST', 'request.endpoint': '/containers/prune' }],
    ['Volumes pruned', 'medium', { 'request.method': 'POST', 'request.endpoint': '/volumes/prune' }],
    ['Images pruned', 'low', { 'request.method': 'POST', 'request.endpoint': '/images/prune' }],
    ['Build cache pruned', 'low', { 'request.method': 'POST', 'request.endpoint': '/build/prune' }],
    ['Swarm left', 'high', { 'request.method': 'POST', 'request.endpoint': '/swarm/leave' }],
    ['Swarm initialised', 'medium', { 'request.method': 'POST', 'request.endpoint': ['/swarm/init', '/swarm/join'] }],
    ['Secret created', 'medium', { 'request.method': 'POST', 'request.endpoint': '/secrets/create' }],
    ['Secret read', 'medium', { 'request.method': 'GET', 'request.endpoint|startswith': '/secrets/' }],
    ['Plugin installed', 'high', { 'request.method': 'POST', 'request.endpoint': '/plugins/pull' }],
    [
      'Plugin enabled',
      'medium',
      { 'request.method': 'POST', 'request.endpoint|startswith': '/plugins/', 'request.endpoint|endswith': '/enable' },
    ],
    [
      'Build from a remote context',
      'medium',
      { 'request.endpoint': '/build', 'request.query.remote|startswith': ['http://', 'https://', 'git://'] },
    ],
    ['Build with network host', 'medium', { 'request.endpoint': '/build', 'request.query.networkmode': 'host' }],
    ['Daemon events streamed', 'low', { 'request.method': 'GET', 'request.endpoint': '/events' }],
    ['Container renamed', 'low', { 'request.method': 'POST', 'request.endpoint|endswith': '/rename' }],
    ['Container updated with new limits', 'low', { 'request.method': 'POST', 'request.endpoint|endswith': '/update' }],
    [
      'Network connected to host network',
      'medium',
      { 'request.method': 'POST', 'request.endpoint|startswith': '/networks/host' },
    ],
  ];
  for (const [title, level, sel] of eps) add(title, level, { selection: sel, condition: 'selection' });
  add('Container run as root from a non-CI client', 'low', {
    selection: { ...CREATE, 'container.user': ['root', '0', '0:0'] },
    filter_ci: { 'client.user': ['ci-runner', 'deploy'] },
    condition: 'selection and not filter_ci',
  });
  add('Container restarts always and mounts the host root', 'critical', {
    selection: { ...CREATE, 'container.restart_policy': 'always', 'container.binds|startswith': '/:' },
    condition: 'selection',
  });
  add('Keyword: kdevtmpfsi or kinsing anywhere', 'critical', {
    keywords: ['kdevtmpfsi', 'kinsing'],
    condition: 'keywords',
  });
  return s;
}

/** Exactly `n` rules (100 by default) as YAML sources. */
export function dockerRules(n = 100): RuleSource[] {
  const specs = families();
  if (specs.length < n) throw new Error(`only ${specs.length} Docker rule templates, ${n} asked`);
  // the families are sized for exactly 100; a smaller n keeps the first n
  return specs.slice(0, n).map((spec, i) => {
    const id = `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`;
    const doc = {
      title: spec.title,
      id,
      status: 'experimental',
      description: `Generated benchmark rule ${i + 1}: ${spec.title}.`,
      author: 'dockguard bench',
      date: '2026-11-28',
      logsource: { product: 'docker', service: 'engine_api' },
      detection: spec.detection,
      falsepositives: ['Benchmark data'],
      level: spec.level,
    };
    return { file: `bench/docker/rule-${String(i + 1).padStart(3, '0')}.yml`, text: dump(doc) as string };
  });
}
