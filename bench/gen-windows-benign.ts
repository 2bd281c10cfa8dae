/**
 * The ordinary processes of the synthetic Windows day (gen-windows.ts), with
 * weights: browsers, Office, services, shells run by admins and developers.
 * `%U` is replaced by the user name, `%N` by a random number.
 */
import type { Key } from './gen-windows-bins';

export interface Proc {
  bin: Key;
  cmds: string[];
  parents: Array<[Key, string]>;
  system?: boolean;
}

export const SVC_PARENT: [Key, string] = ['services', 'C:\\Windows\\system32\\services.exe'];
export const DCOM: [Key, string] = ['svchost', 'C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p'];
export const EXPL: [Key, string] = ['explorer', 'C:\\Windows\\Explorer.EXE'];
export const CHROME_P: [Key, string] = ['chrome', '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe"'];

export const BENIGN: Array<readonly [number, Proc]> = [
  [
    14,
    {
      bin: 'svchost',
      cmds: [
        'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule',
        'C:\\Windows\\system32\\svchost.exe -k LocalServiceNetworkRestricted -p -s Dhcp',
        'C:\\Windows\\System32\\svchost.exe -k wsappx -p -s AppXSvc',
        'C:\\Windows\\system32\\svchost.exe -k UnistackSvcGroup -s CDPUserSvc_4a2f1',
      ],
      parents: [SVC_PARENT],
      system: true,
    },
  ],
  [
    14,
    {
      bin: 'chrome',
      cmds: [
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=renderer --display-capture-permissions-policy-allowed --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --renderer-client-id=%N --launch-time-ticks=%N --mojo-platform-channel-handle=%N /prefetch:1',
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --mojo-platform-channel-handle=%N /prefetch:8',
        '"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe" --type=gpu-process --gpu-preferences=WAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAAAAAAAAAAAAAAAAAA --mojo-platform-channel-handle=%N /prefetch:2',
      ],
      parents: [CHROME_P, EXPL],
    },
  ],
  [
    8,
    {
      bin: 'msedge',
      cmds: [
        '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=renderer --instant-process --lang=en-US --js-flags=--ms-user-locale= --renderer-client-id=%N --mojo-platform-channel-handle=%N /prefetch:1',
        '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --type=utility --utility-sub-type=storage.mojom.StorageService --mojo-platform-channel-handle=%N /prefetch:8',
      ],
      parents: [
        [
          'msedge',
          '"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe" --no-startup-window --win-session-start',
        ],
      ],
    },
  ],
  [
    8,
    {
      bin: 'conhost',
      cmds: [
        '\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1',
        '\\??\\C:\\Windows\\system32\\conhost.exe 0x4',
      ],
      parents: [
        ['cmd', 'C:\\Windows\\system32\\cmd.exe /c "C:\\ProgramData\\Acme\\Agent\\collect.bat"'],
        ['git', 'git.exe fetch --prune'],
      ],
    },
  ],
  [6, { bin: 'runtimebroker', cmds: ['C:\\Windows\\System32\\RuntimeBroker.exe -Embedding'], parents: [DCOM] }],
  [
    5,
    {
      bin: 'taskhostw',
      cmds: [
        'taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}',
        'taskhostw.exe Install $(Arg0)',
        'taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly',
      ],
      parents: [['svchost', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule']],
      system: true,
    },
  ],
  [
    5,
    {
      bin: 'bgtask',
      cmds: [
        '"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider',
        '"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca',
      ],
      parents: [DCOM],
    },
  ],
  [
    4,
    {
      bin: 'searchprot',
      cmds: [
        '"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe%N_ Global\\UsGthrCtrlFltPipeMssGthrPipe%N 1 -2147483646 "Software\\Microsoft\\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon"',
      ],
      parents: [['svchost', 'C:\\Windows\\system32\\SearchIndexer.exe /Embedding']],
      system: true,
    },
  ],
  [
    3,
    {
      bin: 'dllhost',
      cmds: [
        'C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}',
        'C:\\Windows\\system32\\DllHost.exe /Processid:{3EB3C877-1F16-487C-9050-104DBCD66683}',
      ],
      parents: [DCOM],
    },
  ],
  [
    3,
    {
      bin: 'werfault',
      cmds: [
        'C:\\Windows\\system32\\WerFault.exe -u -p %N -s %N',
        'C:\\Windows\\system32\\WerFault.exe -pss -s %N -p %N -ip %N',
      ],
      parents: [['svchost', 'C:\\Windows\\System32\\svchost.exe -k WerSvcGroup']],
    },
  ],
  [
    3,
    {
      bin: 'outlook',
      cmds: [
        '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" ',
        '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" /recycle',
      ],
      parents: [EXPL],
    },
  ],
  [
    3,
    {
      bin: 'winword',
      cmds: [
        '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\%U\\Documents\\Q4 planning.docx" /o ""',
      ],
      parents: [EXPL, ['outlook', '"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE" ']],
    },
  ],
  [
    4,
    {
      bin: 'teams',
      cmds: [
        '"C:\\Users\\%U\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe" --type=renderer --autoplay-policy=no-user-gesture-required --lang=en-US --mojo-platform-channel-handle=%N /prefetch:1',
      ],
      parents: [
        [
          'teams',
          '"C:\\Users\\%U\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe" --process-start-args "--profile=AAD"',
        ],
      ],
    },
  ],
  [
    3,
    {
      bin: 'code',
      cmds: [
        '"C:\\Users\\%U\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe" --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US --mojo-platform-channel-handle=%N /prefetch:8',
      ],
      parents: [['code', '"C:\\Users\\%U\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe" ']],
    },
  ],
  [
    3,
    {
      bin: 'git',
      cmds: [
        'git.exe status --porcelain',
        'git.exe fetch --prune',
        'git.exe rev-parse --show-toplevel',
        'git.exe log -n 20 --oneline',
      ],
      parents: [
        ['code', '"C:\\Users\\%U\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe" '],
        ['cmd', 'C:\\Windows\\system32\\cmd.exe'],
      ],
    },
  ],
  [
    3,
    {
      bin: 'cmd',
      cmds: [
        'C:\\Windows\\system32\\cmd.exe /c "C:\\ProgramData\\Acme\\Agent\\collect.bat"',
        'C:\\Windows\\system32\\cmd.exe',
        'C:\\Windows\\system32\\cmd.exe /d /c "npm run build"',
      ],
      parents: [EXPL, ['code', '"C:\\Users\\%U\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe" ']],
    },
  ],
  [
    2,
    {
      bin: 'powershell',
      cmds: [
        '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoLogo -NonInteractive -File "C:\\Scripts\\Inventory\\Get-Inventory.ps1"',
        '"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" ',
      ],
      parents: [EXPL, ['svchost', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule']],
    },
  ],
  [
    2,
    {
      bin: 'msiexec',
      cmds: [
        'C:\\Windows\\system32\\msiexec.exe /V',
        'C:\\Windows\\System32\\MsiExec.exe -Embedding 5A1E3C0B8E1F0B6A2C4D9E7F1A2B3C4D',
      ],
      parents: [SVC_PARENT],
      system: true,
    },
  ],
  [2, { bin: 'smartscreen', cmds: ['C:\\Windows\\System32\\smartscreen.exe -Embedding'], parents: [DCOM] }],
  [
    2,
    {
      bin: 'wuauclt',
      cmds: [
        '"C:\\Windows\\system32\\wuauclt.exe" /RunHandlerComServer',
        '"C:\\Windows\\system32\\wuauclt.exe" /UpdateDeploymentProvider UpdateDeploymentProvider.dll /ClassId 5b9c8a1e-1d3b-4c1e-9a76-5f1a3c2d8b10 /RunHandlerComServer',
      ],
      parents: [['svchost', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s wuauserv']],
      system: true,
    },
  ],
  [
    2,
    {
      bin: 'notepad',
      cmds: [
        '"C:\\Windows\\system32\\NOTEPAD.EXE" C:\\Users\\%U\\Documents\\notes.txt',
        '"C:\\Windows\\system32\\NOTEPAD.EXE" ',
      ],
      parents: [EXPL],
    },
  ],
  [
    2,
    {
      bin: 'java',
      cmds: [
        '"C:\\Program Files\\Java\\jre1.8.0_381\\bin\\java.exe" -Xmx512m -jar C:\\Apps\\Reporting\\report-server.jar --port 8090',
      ],
      parents: [SVC_PARENT],
      system: true,
    },
  ],
  [
    2,
    {
      bin: 'mpcmdrun',
      cmds: [
        '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MpCmdRun.exe" SignaturesUpdateService -ScheduleJob -UnmanagedUpdate',
        '"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MpCmdRun.exe" -IdleTask -TaskName WdCacheMaintenance',
      ],
      parents: [['svchost', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule']],
      system: true,
    },
  ],
  [
    2,
    {
      bin: 'onedrive',
      cmds: ['"C:\\Users\\%U\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background'],
      parents: [EXPL],
    },
  ],
  [
    1,
    {
      bin: 'zoom',
      cmds: [
        '"C:\\Users\\%U\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe" "--url=zoommtg://zoom.us/join?action=join&confno=%N"',
      ],
      parents: [CHROME_P],
    },
  ],
  [
    1,
    {
      bin: 'compattel',
      cmds: ['C:\\Windows\\system32\\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun'],
      parents: [['svchost', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule']],
      system: true,
    },
  ],
  [
    1,
    {
      bin: 'gpupdate',
      cmds: ['gpupdate.exe /target:user /force'],
      parents: [['svchost', 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s gpsvc']],
    },
  ],
  [
    1,
    {
      bin: 'sc',
      cmds: ['C:\\Windows\\system32\\sc.exe query wuauserv', 'sc.exe qc Spooler'],
      parents: [['cmd', 'C:\\Windows\\system32\\cmd.exe']],
    },
  ],
  [
    1,
    {
      bin: 'tasklist',
      cmds: ['tasklist /fi "imagename eq chrome.exe"'],
      parents: [['cmd', 'C:\\Windows\\system32\\cmd.exe']],
    },
  ],
];
