/**
 * Synthetic Linux events for the `sigmahq/rules/linux` scenario: Sysmon-for-Linux
 * style process creations (Image, CommandLine, ParentImage, User, CurrentDirectory,
 * LogonId…, ~75%) and auditd records (type EXECVE/SYSCALL/PATH with a0…, ~25%).
 * Mostly ordinary server activity; `suspiciousRate` of them carry command lines
 * the SigmaHQ Linux rules look for.
 */
import { BENIGN, DIRS, SHELLS, SUSPICIOUS, USERS } from './gen-linux-data';
import type { Rng } from './harness';

function guid(rng: Rng): string {
  return `{${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}}`;
}

function processCreation(rng: Rng, image: string, cmd: string, parent: string, user: string): Record<string, unknown> {
  const logonId = user === 'root' ? '0' : String(rng.int(1000, 1010));
  return {
    EventID: 1,
    RuleName: '-',
    UtcTime: rng.isoTime().replace('T', ' ').replace('Z', ''),
    ProcessGuid: guid(rng),
    ProcessId: rng.int(300, 99999),
    Image: image,
    FileVersion: '-',
    Description: '-',
    Product: '-',
    Company: '-',
    OriginalFileName: '-',
    CommandLine: cmd,
    CurrentDirectory: rng.pick(DIRS),
    User: user,
    LogonGuid: guid(rng),
    LogonId: logonId,
    TerminalSessionId: rng.int(1, 40),
    IntegrityLevel: 'no level',
    Hashes: '-',
    ParentProcessGuid: guid(rng),
    ParentProcessId: rng.int(1, 99999),
    ParentImage: parent,
    ParentCommandLine: parent.endsWith('sh') ? parent.replace('/usr', '') : parent,
    ParentUser: rng.pick(USERS),
  };
}

function auditd(rng: Rng, args: string[], exe: string, suspicious: boolean): Record<string, unknown>[] {
  const serial = rng.int(10000, 9999999);
  const msg = `audit(${1795852800 + rng.int(0, 36000)}.${rng.int(100, 999)}:${serial})`;
  const execve: Record<string, unknown> = { type: 'EXECVE', msg, argc: args.length };
  args.slice(0, 8).forEach((a, i) => (execve[`a${i}`] = a));
  const syscall = {
    type: 'SYSCALL',
    msg,
    arch: 'c000003e',
    syscall: 59,
    SYSCALL: 'execve',
    success: 'yes',
    exit: 0,
    items: 2,
    ppid: rng.int(1, 99999),
    pid: rng.int(300, 99999),
    auid: rng.pick([0, 1000, 1001, 4294967295]),
    uid: rng.pick([0, 1000, 33]),
    tty: rng.pick(['pts0', 'pts1', '(none)']),
    ses: rng.int(1, 40),
    comm: exe.split('/').pop(),
    exe,
    key: suspicious ? rng.pick(['susp_activity', 'priv_esc', 'exec']) : rng.pick(['exec', '(null)', 'cmds']),
  };
  const path = {
    type: 'PATH',
    msg,
    item: 0,
    name: exe,
    inode: rng.int(100000, 9999999),
    dev: 'fd:01',
    mode: '0100755',
    ouid: 0,
    ogid: 0,
    nametype: 'NORMAL',
  };
  return [execve, syscall, path];
}

/** Splits a command line into argv the way auditd's EXECVE record shows it (roughly). */
function argv(cmd: string): string[] {
  return cmd.split(' ').filter((x) => x.length > 0);
}

export function linuxEvents(rng: Rng, count: number, suspiciousRate: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let pendingAudit: Record<string, unknown>[] = [];
  while (out.length < count) {
    if (pendingAudit.length > 0) {
      out.push(pendingAudit.shift() as Record<string, unknown>);
      continue;
    }
    const suspicious = rng.chance(suspiciousRate);
    let image: string;
    let cmd: string;
    let parent: string;
    let user: string;
    if (suspicious) {
      [image, cmd] = rng.pick(SUSPICIOUS);
      parent = rng.pick([...SHELLS, '/usr/sbin/apache2', '/usr/bin/python3.11', '/usr/sbin/sshd']);
      user = rng.pick(['root', 'www-data', 'app']);
    } else {
      const p = rng.weighted(BENIGN);
      image = p.image;
      cmd = rng.pick(p.cmds);
      parent = rng.pick(p.parents);
      user = rng.pick(p.users ?? USERS);
    }
    // ~1 process in 12 is also seen through auditd: EXECVE + SYSCALL + PATH (≈25% of records)
    if (rng.chance(1 / 12)) pendingAudit = auditd(rng, argv(cmd), image, suspicious);
    else out.push(processCreation(rng, image, cmd, parent, user));
  }
  return out;
}
