import { compileRules, createEngine } from './compile-engine';
import { loadRules } from './loader';
import { compileLogsourceConfig } from './logsource-config';
import { parseYamlSource } from './yaml-source';

const RULES = `
title: pull then start
id: 11111111-1111-4111-8111-111111111111
correlation:
  type: temporal_ordered
  rules: [pull, start]
  group-by: [ClientIP]
  timespan: 1m
level: high
---
title: pull
name: pull
logsource: { product: docker, service: engine_api }
detection:
  sel: { Endpoint: /images/create }
  condition: sel
---
title: start
name: start
logsource: { product: docker, service: engine_api }
detection:
  sel: { Endpoint: '/containers/{id}/start' }
  condition: sel
`;

const CONFIG = `
logsources:
  docker:
    product: docker
    service: engine_api
    conditions:
      event.dataset: docker.engine_api
fieldmappings:
  ClientIP: source.ip
  Endpoint: dockguard.endpoint
`;

function engineWith(configText?: string) {
  const configs = [];
  if (configText) {
    const doc = parseYamlSource('c.yml', configText).documents[0];
    const r = compileLogsourceConfig(doc!, 'c.yml');
    expect(r.errors).toEqual([]);
    configs.push(r.config!);
  }
  const load = loadRules([{ file: 'r.yml', text: RULES }], { logsources: configs });
  expect(load.problems).toEqual([]);
  const compiled = compileRules(load, configs);
  expect(compiled.problems).toEqual([]);
  return createEngine(compiled);
}

const ev = (t: number, ip: string, endpoint: string) => ({
  '@timestamp': t,
  event: { dataset: 'docker.engine_api' },
  source: { ip },
  dockguard: { endpoint },
});

describe('compiled engine', () => {
  it('maps correlation group-by fields through fieldmappings, reporting the name the rule wrote', () => {
    const engine = engineWith(CONFIG);
    const out = [
      ...engine.process(ev(0, '203.0.113.7', '/images/create'), 0, 0),
      ...engine.process(ev(1000, '203.0.113.7', '/containers/{id}/start'), 1, 1000),
    ];
    // generate is false: the referenced rules' own matches are not reported
    expect(out.map((o) => o.kind)).toEqual(['correlation']);
    const m = out[0];
    if (m?.kind !== 'correlation') throw new Error('expected a correlation');
    expect(m.match.group).toEqual({ ClientIP: '203.0.113.7' });
    expect(m.match.eventRefs).toEqual([0, 1]);
    expect(m.eventRef).toBe(1);
  });

  it('keeps rules of the logsource away from events of another dataset', () => {
    const engine = engineWith(CONFIG);
    const other = { ...ev(0, '203.0.113.7', '/images/create'), event: { dataset: 'nginx.access' } };
    const out = [
      ...engine.process(other, 0, 0),
      ...engine.process({ ...other, dockguard: { endpoint: '/containers/{id}/start' } }, 1, 1),
    ];
    expect(out).toEqual([]);
  });

  it('separate engines over the same compiled rules keep separate correlation state', () => {
    const load = loadRules([
      { file: 'r.yml', text: RULES.replace(/ClientIP/g, 'source.ip').replace(/Endpoint/g, 'dockguard.endpoint') },
    ]);
    const compiled = compileRules(load);
    const a = createEngine(compiled);
    const b = createEngine(compiled);
    a.process(ev(0, '1.2.3.4', '/images/create'), 0, 0);
    expect(b.process(ev(10, '1.2.3.4', '/containers/{id}/start'), 1, 10)).toEqual([]);
    expect(a.process(ev(10, '1.2.3.4', '/containers/{id}/start'), 1, 10).map((o) => o.kind)).toEqual(['correlation']);
  });
});

describe('logsource entry guards', () => {
  const config = `
logsources:
  proc:
    product: windows
    category: process_creation
    conditions:
      Channel: Microsoft-Windows-Sysmon/Operational
      EventID: [1, 4688]
`;
  const rule = `
title: cmd
logsource: { product: windows, category: process_creation }
detection:
  sel: { Image|endswith: '\\cmd.exe' }
  condition: sel
`;
  function setup() {
    const doc = parseYamlSource('c.yml', config).documents[0];
    const cfg = compileLogsourceConfig(doc!, 'c.yml').config!;
    const load = loadRules([{ file: 'r.yml', text: rule }], { logsources: [cfg] });
    return compileRules(load, [cfg]).ruleSet;
  }
  const base = { Image: 'C:\\Windows\\System32\\cmd.exe' };

  it('admits the guard value in any letter case, and numbers as their string form', () => {
    const rs = setup();
    for (const ev of [
      { ...base, Channel: 'microsoft-windows-sysmon/OPERATIONAL', EventID: 1 },
      { ...base, Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: '4688' },
    ]) {
      expect(rs.matchIndexes(ev)).toEqual([0]);
      expect(rs.matchAllNaive(ev)).toEqual([0]);
    }
  });

  it('rejects events without the guard value, or failing another condition', () => {
    const rs = setup();
    for (const ev of [
      { ...base, Channel: 'Security', EventID: 1 },
      { ...base, EventID: 1 },
      { ...base, Channel: 'Microsoft-Windows-Sysmon/Operational', EventID: 3 },
    ]) {
      expect(rs.matchIndexes(ev)).toEqual([]);
      expect(rs.matchAllNaive(ev)).toEqual([]);
    }
  });
});
