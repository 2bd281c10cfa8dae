/**
 * Windows binaries for the synthetic process-creation events (gen-windows.ts):
 * image path, OriginalFileName, Description, Product and Company as Sysmon
 * reports them.
 */
export interface Bin {
  image: string;
  ofn: string;
  desc: string;
  product: string;
  company: string;
}

const MS = 'Microsoft Corporation';
const WINOS = 'Microsoft® Windows® Operating System';
const S32 = 'C:\\Windows\\System32\\';

export function sys(name: string, desc: string, ofn = name): Bin {
  return { image: S32 + name, ofn, desc, product: WINOS, company: MS };
}

export const B = {
  svchost: sys('svchost.exe', 'Host Process for Windows Services'),
  services: sys('services.exe', 'Services and Controller app'),
  explorer: {
    image: 'C:\\Windows\\explorer.exe',
    ofn: 'EXPLORER.EXE',
    desc: 'Windows Explorer',
    product: WINOS,
    company: MS,
  },
  conhost: sys('conhost.exe', 'Console Window Host', 'CONHOST.EXE'),
  runtimebroker: sys('RuntimeBroker.exe', 'Runtime Broker'),
  taskhostw: sys('taskhostw.exe', 'Host Process for Windows Tasks'),
  bgtask: sys('backgroundTaskHost.exe', 'Background Task Host'),
  searchprot: sys('SearchProtocolHost.exe', 'Microsoft Windows Search Protocol Host', 'SearchProtocolHost.exe'),
  werfault: sys('WerFault.exe', 'Windows Problem Reporting'),
  dllhost: sys('dllhost.exe', 'COM Surrogate'),
  msiexec: sys('msiexec.exe', 'Windows® installer'),
  smartscreen: sys('smartscreen.exe', 'Windows Defender SmartScreen'),
  wuauclt: sys('wuauclt.exe', 'Windows Update'),
  cmd: sys('cmd.exe', 'Windows Command Processor', 'Cmd.Exe'),
  powershell: { ...sys('WindowsPowerShell\\v1.0\\powershell.exe', 'Windows PowerShell', 'PowerShell.EXE') },
  notepad: sys('notepad.exe', 'Notepad', 'NOTEPAD.EXE'),
  sc: sys('sc.exe', 'Service Control Manager Configuration Tool'),
  tasklist: sys('tasklist.exe', 'Lists the current running tasks'),
  gpupdate: sys('gpupdate.exe', 'Microsoft® Group Policy Update Utility'),
  compattel: sys('CompatTelRunner.exe', 'Microsoft Compatibility Telemetry'),
  wmiprvse: sys('wbem\\WmiPrvSE.exe', 'WMI Provider Host', 'Wmiprvse.exe'),
  chrome: {
    image: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    ofn: 'chrome.exe',
    desc: 'Google Chrome',
    product: 'Google Chrome',
    company: 'Google LLC',
  },
  msedge: {
    image: 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe',
    ofn: 'msedge.exe',
    desc: 'Microsoft Edge',
    product: 'Microsoft Edge',
    company: MS,
  },
  outlook: {
    image: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE',
    ofn: 'Outlook.exe',
    desc: 'Microsoft Outlook',
    product: 'Microsoft Outlook',
    company: MS,
  },
  winword: {
    image: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE',
    ofn: 'WinWord.exe',
    desc: 'Microsoft Word',
    product: 'Microsoft Office',
    company: MS,
  },
  teams: {
    image: 'C:\\Users\\%U\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe',
    ofn: 'Teams.exe',
    desc: 'Microsoft Teams',
    product: 'Microsoft Teams',
    company: MS,
  },
  code: {
    image: 'C:\\Users\\%U\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe',
    ofn: 'electron.exe',
    desc: 'Visual Studio Code',
    product: 'Visual Studio Code',
    company: MS,
  },
  git: {
    image: 'C:\\Program Files\\Git\\cmd\\git.exe',
    ofn: 'git.exe',
    desc: 'Git for Windows',
    product: 'Git',
    company: 'The Git Development Community',
  },
  java: {
    image: 'C:\\Program Files\\Java\\jre1.8.0_381\\bin\\java.exe',
    ofn: 'java.exe',
    desc: 'Java(TM) Platform SE binary',
    product: 'Java(TM) Platform SE 8',
    company: 'Oracle Corporation',
  },
  mpcmdrun: {
    image: 'C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24090.11-0\\MpCmdRun.exe',
    ofn: 'MpCmdRun.exe',
    desc: 'Microsoft Malware Protection Command Line Utility',
    product: WINOS,
    company: MS,
  },
  onedrive: {
    image: 'C:\\Users\\%U\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe',
    ofn: 'OneDrive.exe',
    desc: 'Microsoft OneDrive',
    product: 'Microsoft OneDrive',
    company: MS,
  },
  zoom: {
    image: 'C:\\Users\\%U\\AppData\\Roaming\\Zoom\\bin\\Zoom.exe',
    ofn: 'Zoom.exe',
    desc: 'Zoom Meetings',
    product: 'Zoom Meetings',
    company: 'Zoom Video Communications, Inc.',
  },
} satisfies Record<string, Bin>;

export type Key = keyof typeof B;
