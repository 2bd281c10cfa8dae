/**
 * A logsource configuration (sigmac format) of the kind a deployment uses with
 * the SigmaHQ corpus: Windows categories gated by Sysmon channel and event id,
 * Windows services by channel, other products by a `log.product` field. With it,
 * a rule only ever sees events of its own log type.
 */
const SYSMON = 'Microsoft-Windows-Sysmon/Operational';

const SYSMON_CATEGORIES: Record<string, number[]> = {
  process_creation: [1],
  file_change: [2],
  network_connection: [3],
  sysmon_status: [4, 16],
  process_termination: [5],
  driver_load: [6],
  image_load: [7],
  create_remote_thread: [8],
  raw_access_thread: [9],
  process_access: [10],
  file_event: [11],
  registry_add: [12],
  registry_delete: [12],
  registry_set: [13],
  registry_rename: [14],
  registry_event: [12, 13, 14],
  create_stream_hash: [15],
  pipe_created: [17, 18],
  wmi_event: [19, 20, 21],
  dns_query: [22],
  file_delete: [23, 26],
  clipboard_capture: [24],
  process_tampering: [25],
  file_executable_detected: [29],
  sysmon_error: [255],
};

const WINDOWS_CHANNELS: Record<string, string> = {
  security: 'Security',
  system: 'System',
  application: 'Application',
  sysmon: SYSMON,
  'powershell-classic': 'Windows PowerShell',
  windefend: 'Microsoft-Windows-Windows Defender/Operational',
  taskscheduler: 'Microsoft-Windows-TaskScheduler/Operational',
};

const OTHER_PRODUCTS = [
  'linux',
  'macos',
  'azure',
  'aws',
  'gcp',
  'm365',
  'okta',
  'zeek',
  'opencanary',
  'rpc_firewall',
  'kubernetes',
  'cisco',
  'github',
  'bitbucket',
  'fortigate',
  'jvm',
  'spring',
  'onelogin',
  'velocity',
  'sql',
  'ruby_on_rails',
  'python',
  'nodejs',
  'juniper',
  'huawei',
  'django',
];

export function windowsLogsourceConfig(): string {
  const lines = ['title: benchmark logsources', 'logsources:'];
  for (const [cat, ids] of Object.entries(SYSMON_CATEGORIES)) {
    lines.push(`  sysmon_${cat}:`, `    product: windows`, `    category: ${cat}`, `    conditions:`);
    lines.push(`      Channel: '${SYSMON}'`, `      EventID: [${ids.join(', ')}]`);
  }
  for (const cat of ['ps_script', 'ps_module', 'ps_classic_start', 'ps_classic_provider_start']) {
    const id = { ps_script: 4104, ps_module: 4103, ps_classic_start: 400, ps_classic_provider_start: 600 }[cat];
    lines.push(`  ${cat}:`, `    product: windows`, `    category: ${cat}`, `    conditions:`, `      EventID: ${id}`);
  }
  for (const [service, channel] of Object.entries(WINDOWS_CHANNELS))
    lines.push(
      `  win_${service}:`,
      `    product: windows`,
      `    service: ${service}`,
      `    conditions:`,
      `      Channel: '${channel}'`,
    );
  for (const p of OTHER_PRODUCTS)
    lines.push(`  ${p}:`, `    product: ${p}`, `    conditions:`, `      log.product: ${p}`);
  for (const c of ['proxy', 'webserver', 'firewall', 'dns', 'antivirus', 'database', 'application'])
    lines.push(`  cat_${c}:`, `    category: ${c}`, `    conditions:`, `      log.category: ${c}`);
  return lines.join('\n') + '\n';
}
