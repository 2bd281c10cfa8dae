/**
 * Sigma filters (filters specification v2.1.0) and logsource configurations
 * (sigmac format; rules specification "LogSource" and "Field Usage").
 */
import { compileLogsourceConfig } from './logsource-config';
import { RuleSet } from './rule-set';
import { compile, compileSources, dedent, load, logsourceConfig, matchKeys, ruleDoc } from './test-helpers';
import { parseYamlSource } from './yaml-source';

const RAR_ID = '6f3e2987-db24-4c78-a860-b4f4095a7095';
const JUMP_ID = 'df0841c0-9846-4e9f-ad8a-7df91571771b';
const OTHER_ID = '0e95725d-7320-415d-80f7-004da920fc11';

const windows = 'category: process_creation\nproduct: windows';

const rules = [
  ruleDoc(`selection:\n  Image|endswith: '\\rar.exe'\ncondition: selection`, {
    title: 'Data Compressed - rar.exe',
    id: RAR_ID,
    name: 'rar_compression',
    logsource: windows,
  }),
  ruleDoc(`selection:\n  Computer|startswith: 'jump'\ncondition: selection`, {
    title: 'Login on jump host',
    id: JUMP_ID,
    logsource: windows,
  }),
  ruleDoc(`selection:\n  Image|endswith: '\\rar.exe'\ncondition: selection`, {
    title: 'not referenced by the filter',
    id: OTHER_ID,
    logsource: windows,
  }),
].join('---\n');

/** The example of the filters specification, verbatim. */
const specFilter = dedent(`
  title: Filter Administrator account
  description: The valid administrator account start with adm_
  logsource:
      category: process_creation
      product: windows
  filter:
      rules:
          - 6f3e2987-db24-4c78-a860-b4f4095a7095 # Data Compressed - rar.exe
          - df0841c0-9846-4e9f-ad8a-7df91571771b # Login on jump host
      selection:
          User|startswith: 'adm_'
      condition: selection
`);

describe('Sigma filters: "apply the same tuning on many rules with the goal to suppress matches"', () => {
  it('the specification example suppresses adm_ users in both referenced rules, by id', () => {
    const c = compileSources([
      { file: 'rules.yml', text: rules },
      { file: 'mf_admin.yml', text: specFilter },
    ]);
    expect(c.result.problems).toEqual([]);
    expect(c.result.filters).toHaveLength(1);
    const rar = { Image: 'C:\\Program Files\\WinRAR\\rar.exe' };
    expect(c.keys({ ...rar, User: 'bob' })).toEqual([RAR_ID, OTHER_ID]);
    // the filtered rule is silent for adm_ users; the rule the filter does not name still fires
    expect(c.keys({ ...rar, User: 'adm_alice' })).toEqual([OTHER_ID]);
    expect(c.keys({ Computer: 'jump01', User: 'bob' })).toEqual([JUMP_ID]);
    expect(c.keys({ Computer: 'jump01', User: 'ADM_alice' })).toEqual([]);
    // an event without User is not filtered
    expect(c.keys({ Computer: 'jump01' })).toEqual([JUMP_ID]);
  });

  it('"refers to one or multiple Sigma rules": a rule can also be referenced by its name', () => {
    const byName = specFilter.replace(/rules:\n(\s+- .*\n)+/, 'rules:\n        - rar_compression\n');
    expect(byName).toContain('- rar_compression');
    const c = compileSources([
      { file: 'rules.yml', text: rules },
      { file: 'mf_admin.yml', text: byName },
    ]);
    const rar = { Image: 'C:\\x\\rar.exe' };
    expect(c.keys({ ...rar, User: 'adm_alice' })).toEqual([OTHER_ID]);
    expect(c.keys({ ...rar, User: 'bob' })).toEqual([RAR_ID, OTHER_ID]);
    // the jump-host rule is not named this time
    expect(c.keys({ Computer: 'jump01', User: 'adm_alice' })).toEqual([JUMP_ID]);
  });

  it('a filter applies whatever the file order (filter file loaded before the rules)', () => {
    const c = compileSources([
      { file: 'mf_admin.yml', text: specFilter },
      { file: 'rules.yml', text: rules },
    ]);
    expect(c.keys({ Image: 'C:\\x\\rar.exe', User: 'adm_x' })).toEqual([OTHER_ID]);
  });

  it('a filter whose selection is a list of maps filters on any of them', () => {
    const filter = specFilter.replace(
      "    selection:\n        User|startswith: 'adm_'",
      "    selection:\n        - User|startswith: 'adm_'\n        - User: 'backup'",
    );
    expect(filter).toContain("- User: 'backup'");
    const c = compileSources([
      { file: 'rules.yml', text: rules },
      { file: 'mf.yml', text: filter },
    ]);
    expect(c.keys({ Computer: 'jump1', User: 'backup' })).toEqual([]);
    expect(c.keys({ Computer: 'jump1', User: 'adm_1' })).toEqual([]);
    expect(c.keys({ Computer: 'jump1', User: 'eve' })).toEqual([JUMP_ID]);
  });

  it('a filter for a rule that was not loaded is a FILTER_RULE_UNRESOLVED warning; the other rules are untouched', () => {
    const filter = specFilter.replace(JUMP_ID, 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
    const res = load(rules + '---\n' + filter);
    const warn = res.problems.filter((p) => p.code === 'FILTER_RULE_UNRESOLVED');
    expect(warn).toHaveLength(1);
    expect(warn[0]?.severity).toBe('warning');
    expect(warn[0]?.message).toContain('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
    expect(warn[0]?.location?.file).toBe('r.yml');
    expect(res.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const rs = new RuleSet(res.rules);
    // the resolved reference still applies
    expect(matchKeys(rs, { Image: 'C:\\x\\rar.exe', User: 'adm_a' })).toEqual([OTHER_ID]);
  });

  it('a filter for a rule of another logsource is not applied, with a warning', () => {
    const linuxRule = ruleDoc(`selection:\n  Image|endswith: '/rar'\ncondition: selection`, {
      id: RAR_ID,
      logsource: 'category: process_creation\nproduct: linux',
    });
    const filter = specFilter.replace(`        - ${JUMP_ID} # Login on jump host\n`, '');
    expect(filter).not.toContain(JUMP_ID);
    const res = load(linuxRule + '---\n' + filter);
    expect(res.problems.map((p) => [p.code, p.severity])).toEqual([['FILTER_RULE_UNRESOLVED', 'warning']]);
    expect(matchKeys(new RuleSet(res.rules), { Image: '/usr/bin/rar', User: 'adm_x' })).toEqual([RAR_ID]);
  });

  it('a filter document with an invalid selection is reported, and the rules stay unfiltered', () => {
    const bad = specFilter.replace("User|startswith: 'adm_'", "User|startwith: 'adm_'");
    const res = load(rules + '---\n' + bad);
    expect(res.problems.map((p) => p.code)).toEqual(['MODIFIER_UNKNOWN']);
    expect(res.filters).toHaveLength(0);
  });
});

const dockerConfig = dedent(`
  logsources:
    docker-engine-api:
      product: docker
      service: engine_api
      conditions:
        event.dataset: docker.engine_api
  fieldmappings:
    Image: container.image.name
    User:
      - user.name
      - process.user.name
`);

const dockerRule = (detection: string, logsource = 'product: docker\nservice: engine_api'): string =>
  ruleDoc(detection, { logsource, id: RAR_ID });

describe('logsource configuration (sigmac format)', () => {
  it('a logsource entry restricts a rule to the events of its conditions (event.dataset: docker.engine_api)', () => {
    const config = logsourceConfig(dockerConfig);
    const c = compile(dockerRule(`selection:\n  Action: create\ncondition: selection`), { configs: [config] });
    expect(c.test({ event: { dataset: 'docker.engine_api' }, Action: 'create' })).toBe(true);
    expect(c.test({ 'event.dataset': 'docker.engine_api', Action: 'create' })).toBe(true);
    expect(c.test({ event: { dataset: 'kubernetes.audit' }, Action: 'create' })).toBe(false);
    expect(c.test({ Action: 'create' })).toBe(false);
    expect(c.ruleSet.unmapped).toEqual([]);
  });

  it('"For fields with existing field-mappings, use the mapped field name": a mapping to a single field', () => {
    const config = logsourceConfig(dockerConfig);
    const c = compile(dockerRule(`selection:\n  Image|startswith: 'alpine'\ncondition: selection`), {
      configs: [config],
    });
    const base = { event: { dataset: 'docker.engine_api' } };
    expect(c.test({ ...base, container: { image: { name: 'alpine:3.20' } } })).toBe(true);
    expect(c.test({ ...base, 'container.image.name': 'Alpine:3.20' })).toBe(true);
    // the Sigma name itself is no longer read
    expect(c.test({ ...base, Image: 'alpine:3.20' })).toBe(false);
  });

  it('a mapping to a list of fields: the value may be in any of them', () => {
    const config = logsourceConfig(dockerConfig);
    const c = compile(dockerRule(`selection:\n  User: root\ncondition: selection`), { configs: [config] });
    const base = { event: { dataset: 'docker.engine_api' } };
    expect(c.test({ ...base, user: { name: 'root' } })).toBe(true);
    expect(c.test({ ...base, process: { user: { name: 'root' } } })).toBe(true);
    expect(c.test({ ...base, user: { name: 'alice' }, process: { user: { name: 'bob' } } })).toBe(false);
    expect(c.test({ ...base, User: 'root' })).toBe(false);
  });

  it('field mappings also apply to modifiers that name a field (exists, neq, fieldref)', () => {
    const config = logsourceConfig(dockerConfig);
    const base = { event: { dataset: 'docker.engine_api' } };
    const exists = compile(dockerRule(`selection:\n  Image|exists: true\ncondition: selection`), { configs: [config] });
    expect(exists.test({ ...base, container: { image: { name: 'x' } } })).toBe(true);
    expect(exists.test({ ...base, Image: 'x' })).toBe(false);
    const ref = compile(dockerRule(`selection:\n  Owner|fieldref: User\ncondition: selection`), { configs: [config] });
    expect(ref.test({ ...base, Owner: 'root', process: { user: { name: 'root' } } })).toBe(true);
    expect(ref.test({ ...base, Owner: 'root', User: 'root' })).toBe(false);
  });

  it('a rule whose logsource has no entry matches nothing and is listed in ruleSet.unmapped', () => {
    const config = logsourceConfig(dockerConfig);
    const c = compile(dockerRule(`selection:\n  Action: create\ncondition: selection`, windows), { configs: [config] });
    expect(c.ruleSet.unmapped.map((r) => r.key)).toEqual([RAR_ID]);
    expect(c.ruleSet.stats().unmappedRules).toBe(1);
    expect(c.test({ event: { dataset: 'docker.engine_api' }, Action: 'create' })).toBe(false);
    expect(c.test({ Action: 'create' })).toBe(false);
  });

  it('without a configuration every rule applies to every event', () => {
    const c = compile(dockerRule(`selection:\n  Action: create\ncondition: selection`, windows));
    expect(c.test({ Action: 'create' })).toBe(true);
    expect(c.ruleSet.unmapped).toEqual([]);
  });

  it("an entry applies when every key it names equals the rule's: product-only entry covers every docker service", () => {
    const config = logsourceConfig(
      dedent(`
        logsources:
          docker-any:
            product: docker
            conditions:
              agent.type: dockguard
      `),
    );
    const withService = compile(dockerRule(`selection:\n  A: 1\ncondition: selection`), { configs: [config] });
    expect(withService.test({ agent: { type: 'dockguard' }, A: 1 })).toBe(true);
    expect(withService.test({ A: 1 })).toBe(false);
    // an entry naming a service does not cover a rule without that service
    const narrow = logsourceConfig(dockerConfig);
    const noService = compile(dockerRule(`selection:\n  A: 1\ncondition: selection`, 'product: docker'), {
      configs: [narrow],
    });
    expect(noService.ruleSet.unmapped).toHaveLength(1);
  });

  it('several applicable entries are OR-ed, and a list of condition values is an OR', () => {
    const config = logsourceConfig(
      dedent(`
        logsources:
          engine:
            product: docker
            conditions:
              event.dataset:
                - docker.engine_api
                - docker.audit
          authz:
            product: docker
            conditions:
              event.module: authz
      `),
    );
    const c = compile(dockerRule(`selection:\n  A: 1\ncondition: selection`), { configs: [config] });
    expect(c.test({ event: { dataset: 'docker.audit' }, A: 1 })).toBe(true);
    expect(c.test({ event: { dataset: 'docker.engine_api' }, A: 1 })).toBe(true);
    expect(c.test({ event: { module: 'authz' }, A: 1 })).toBe(true);
    expect(c.test({ event: { dataset: 'syslog' }, A: 1 })).toBe(false);
  });

  it('conditions with several fields are an AND', () => {
    const config = logsourceConfig(
      dedent(`
        logsources:
          engine:
            product: docker
            conditions:
              event.module: docker
              event.dataset: docker.engine_api
      `),
    );
    const c = compile(dockerRule(`selection:\n  A: 1\ncondition: selection`), { configs: [config] });
    expect(c.test({ event: { module: 'docker', dataset: 'docker.engine_api' }, A: 1 })).toBe(true);
    expect(c.test({ event: { module: 'docker' }, A: 1 })).toBe(false);
  });

  it('a rewrite changes the effective logsource of the rule', () => {
    const config = logsourceConfig(
      dedent(`
        logsources:
          engine:
            product: docker
            rewrite:
              product: moby
              service: engine
      `),
    );
    const c = compile(dockerRule(`selection:\n  A: 1\ncondition: selection`), { configs: [config] });
    expect(c.ruleSet.logsourceOf(0)).toEqual({ product: 'moby', service: 'engine' });
    expect(c.test({ A: 1 })).toBe(true);
  });

  it('an invalid configuration is LOGSOURCE_CONFIG_INVALID, located', () => {
    const bad = dedent(`
      logsources:
        nothing-named:
          conditions:
            a: b
        wrong-type:
          product: 5
      fieldmappings:
        Image:
          - 1
    `);
    const parsed = parseYamlSource('bad.yml', bad);
    const doc = parsed.documents[0];
    expect(doc).toBeDefined();
    if (!doc) return;
    const { config, errors } = compileLogsourceConfig(doc, 'bad.yml');
    expect(config).toBeUndefined();
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['LOGSOURCE_CONFIG_INVALID']));
    // an entry names nothing (line 2); a non-string product (line 6) leaves its entry naming nothing (line 5);
    // a mapping is not a field name (line 8)
    expect(errors.map((e) => e.location?.line ?? 0).sort((a, b) => a - b)).toEqual([2, 5, 6, 8]);
  });
});
