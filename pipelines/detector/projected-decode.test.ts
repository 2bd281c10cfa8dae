import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DetectorPipeline, type DetectorSets } from '../../detectors/detector-pipeline';
import type { Finding } from '../../schemas/generated/finding';
import { generateStream, seedCampaign } from '../../test/detector/audit-stream';
import { AvroCodec } from '../codec/avro-codec';
import { loadConfig } from '../config/config';
import { readDetectorConfig } from './detector-config';
import { AUDIT_SUBJECT } from './detector-service';
import { loadDetectorSets } from './detector-sets';

const codec = new AvroCodec();
const defaults = readDetectorConfig(loadConfig(null, {}));

/** Rules whose reads reach past their own fields: a fieldref target, and searches inside `2 of`. */
const EXTRA_RULES = {
  'fieldref.yml': `title: Container user named like its working directory
id: 6f1d2a10-0000-4000-8000-000000000001
status: test
logsource: {product: docker, service: api}
detection:
  selection:
    dockguard.container.user|fieldref: dockguard.container.working_dir
  condition: selection
level: low
`,
  'counted.yml': `title: Two of three settings
id: 6f1d2a10-0000-4000-8000-000000000002
status: test
logsource: {product: docker, service: api}
detection:
  sel_agent:
    user_agent.original|contains: Docker-Client
  sel_root:
    dockguard.container.binds|startswith: '/:'
  sel_backup:
    process.command_line|startswith: 'backup '
  condition: 2 of sel_*
level: medium
`,
};

function setsWith(extra: Record<string, string>): DetectorSets {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-projection-'));
  for (const [file, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, file), text);
  const loaded = loadDetectorSets({ ...defaults, rules: [...defaults.rules, dir], watch: false });
  if (!loaded.sets) throw new Error(loaded.problems.map((p) => p.format()).join('\n'));
  return loaded.sets;
}

function run(sets: DetectorSets, records: readonly Buffer[], decode: (b: Buffer) => unknown): Finding[] {
  const p = new DetectorPipeline(sets);
  const out: Finding[] = [];
  records.forEach((r, i) => out.push(...p.process(decode(r), { partition: 0, offset: i }).findings));
  return [...out, ...p.flush()];
}

describe('projected decode: the detector service decodes only what the detectors read', () => {
  const sets = setsWith(EXTRA_RULES);
  const fields = new DetectorPipeline(sets).fieldsRead();

  it('the fields read include fieldref targets and the searches inside a counted group', () => {
    const without = new DetectorPipeline(setsWith({})).fieldsRead();
    const added = ['dockguard.container.working_dir', 'dockguard.container.user', 'user_agent.original'];
    for (const f of added) {
      expect(without).not.toContain(f);
      expect(fields).toContain(f);
    }
    // and not everything: the request body is read by no loaded rule
    expect(fields).not.toContain('dockguard.request.body');
  });

  it('a stream with the seed attack yields the same findings, field for field, from the cut events as from the whole', () => {
    const events = [
      ...generateStream(4000, 5),
      ...seedCampaign('198.51.100.77', Date.parse('2026-12-01T03:00:00Z'), 'late-', 'docker-02'),
    ];
    const records = events.map((e) => codec.encode(AUDIT_SUBJECT, e));
    const whole = run(sets, records, (b) => codec.decode(AUDIT_SUBJECT, b));
    const projection = codec.projection(AUDIT_SUBJECT, fields);
    const cut = run(sets, records, (b) => projection.decode(b));
    expect(cut).toEqual(whole);
    const kinds = new Set(whole.map((f) => f.finding.kind));
    expect([...kinds].sort()).toEqual(['baseline', 'correlation', 'sigma', 'threat_intel']);
    // the two extra rules fired too, so their reads were exercised
    const names = new Set(whole.map((f) => f.rule.name));
    expect(names).toContain('Two of three settings');
  });

  it('a keyword search may read any field: nothing is cut', () => {
    const keyword = `title: Keyword anywhere
id: 6f1d2a10-0000-4000-8000-000000000003
status: test
logsource: {product: docker, service: api}
detection:
  keywords: ['xmrig']
  condition: keywords
level: high
`;
    const withKeyword = setsWith({ 'keyword.yml': keyword });
    expect(new DetectorPipeline(withKeyword).fieldsRead()).toBeNull();
  });
});
