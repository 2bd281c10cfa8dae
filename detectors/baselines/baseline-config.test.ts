import { loadBaselines } from './baseline-config';

const ok = `id: b1
title: New client
kind: first_seen
key: [host.name]
value: client
filter:
  dockguard.endpoint: [/containers/create]
parameters:
  learning_period: 2h
  learning_events: 10
  ttl: 30d
`;

describe('baseline definitions', () => {
  it('parses a definition with defaults and overrides', () => {
    const r = loadBaselines([{ file: 'a.yml', text: ok }]);
    expect(r.errors).toEqual([]);
    const d = r.defs[0];
    expect(d).toMatchObject({ id: 'b1', kind: 'first_seen', level: 'medium', key: ['host.name'], value: 'client' });
    expect(d?.params.learningMs).toBe(7_200_000);
    expect(d?.params.learningEvents).toBe(10);
    expect(d?.params.maxKeys).toBe(100_000);
    expect(d?.filter).toEqual([['dockguard.endpoint', ['/containers/create']]]);
    expect(d?.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reports every problem of a file at once, with file:line:column', () => {
    const text = `id: b2
title: Broken
kind: frist_seen
level: severe
key: [client]
parameters:
  learning_period: 2 hours
  window: 1m
  bogus: 1
`;
    const r = loadBaselines([{ file: 'bad.yml', text }]);
    expect(r.defs).toEqual([]);
    const lines = r.errors.map((e) => e.format());
    expect(r.errors.every((e) => e.code === 'BASELINE_CONFIG_INVALID')).toBe(true);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^bad\.yml:3:1: error BASELINE_CONFIG_INVALID: `kind` must be one of/),
        expect.stringMatching(/^bad\.yml:4:1: .*`level`/),
        expect.stringMatching(/^bad\.yml:7:3: .*"learning_period" must be a duration/),
        expect.stringMatching(/^bad\.yml:9:3: .*unknown parameter "bogus"/),
      ]),
    );
    // with an unknown kind, parameters are not also reported as "not for this kind"
    expect(lines.some((l) => l.includes('does not apply'))).toBe(false);
  });

  it('rejects parameters of another kind, a first_seen without value, and duplicate ids', () => {
    const r = loadBaselines([
      { file: 'a.yml', text: ok },
      { file: 'b.yml', text: `${ok.replace('value: client\n', '')}` },
      { file: 'c.yml', text: 'id: r\ntitle: R\nkind: rate\nparameters: { ttl: 1d }\n' },
      { file: 'd.yml', text: ok },
    ]);
    const msgs = r.errors.map((e) => `${e.location?.file}: ${e.message}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^b\.yml: first_seen needs `value`/),
        expect.stringMatching(/^c\.yml: parameter "ttl" does not apply to kind rate/),
        expect.stringMatching(/^d\.yml: baseline id "b1" is already used in a\.yml/),
      ]),
    );
    expect(r.defs.map((d) => d.id)).toEqual(['b1']);
  });

  it('applies overrides (rule tests) and still validates them', () => {
    expect(loadBaselines([{ file: 'a.yml', text: ok }], { learning_events: 1 }).defs[0]?.params.learningEvents).toBe(1);
    expect(loadBaselines([{ file: 'a.yml', text: ok }], { learning_events: -1 }).errors).toHaveLength(1);
  });

  it('keeps YAML safety: unsafe keys are errors', () => {
    const r = loadBaselines([{ file: 'u.yml', text: `${ok}__proto__: { x: 1 }\n` }]);
    expect(r.defs).toEqual([]);
    expect(r.errors.some((e) => e.code === 'UNSAFE_KEY')).toBe(true);
  });
});
