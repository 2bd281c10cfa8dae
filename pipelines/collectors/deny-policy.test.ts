import * as fs from 'fs';
import * as path from 'path';
import { loadRules } from '../../detectors/sigma/loader';
import type { ContainerParams, DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { compileDenyPolicy, DenyPolicy } from './deny-policy';

const DEFAULT_POLICY = path.resolve(__dirname, '../../deploy/policies/default-deny.yml');

// Cast: the schema grows fields (another engineer's work); the policy reads fields by name.
function container(over: Partial<ContainerParams> = {}): ContainerParams {
  const params: Record<string, unknown> = {
    entrypoint: [],
    cmd: ['sh'],
    binds: [],
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
    readonly_rootfs: false,
    volumes_from: [],
    ...over,
  };
  return params as unknown as ContainerParams;
}

function event(opts: {
  endpoint?: string;
  method?: string;
  container?: ContainerParams | null;
  bodyComplete?: boolean;
}): DockerApiEvent {
  const endpoint = opts.endpoint ?? '/containers/create';
  const e = {
    timestamp: 1_764_000_000_000,
    event: { id: 'e1', action: 'container-create', outcome: 'unknown' },
    collector: { id: 'c', mode: 'authz' },
    host: { name: 'h' },
    source: { ip: null, port: null },
    tls: null,
    user: { name: null },
    user_agent: { original: 'Docker-Client/20.10.24 (linux)' },
    http: { request: { method: opts.method ?? 'POST', body: { bytes: 10 } }, response: { status_code: null } },
    url: { original: `/v1.41${endpoint}`, path: endpoint, query: null },
    container: { id: null, name: null, image: { name: 'alpine' } },
    process: { args: [], command_line: null },
    dockguard: {
      endpoint,
      api_version: '1.41',
      request: { body: null, body_complete: opts.bodyComplete ?? true, body_error: null, redacted: [] },
      decision: { allowed: true, rule: null, reason: null },
      container: opts.container === undefined ? container() : opts.container,
    },
  };
  return e as unknown as DockerApiEvent;
}

function defaultPolicy(disable: string[] = []): DenyPolicy {
  const { policy, problems } = compileDenyPolicy(
    [{ file: DEFAULT_POLICY, text: fs.readFileSync(DEFAULT_POLICY, 'utf8') }],
    { disable },
  );
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  return policy;
}

describe('default deny policy (deploy/policies/default-deny.yml)', () => {
  const policy = defaultPolicy();

  it.each([
    ['/:/mnt', 'host-root-bind'],
    ['/:/host:ro', 'host-root-bind'],
    ['//:/mnt', 'host-root-bind'],
    ['/.:/mnt', 'host-root-bind'],
    ['/var/run/docker.sock:/var/run/docker.sock', 'docker-socket-mount'],
    ['/run/docker.sock:/s', 'docker-socket-mount'],
    ['/var/run:/r', 'docker-socket-mount'],
  ])('denies the bind %s (%s)', (bind, rule) => {
    const d = policy.decide(event({ container: container({ binds: ['/tmp:/tmp', bind] }) }));
    expect(d.allowed).toBe(false);
    expect(d.rule).toBe(rule);
    expect(d.reason).toContain(`dockguard policy ${rule}`);
  });

  it('denies bind mounts with source / and of the socket', () => {
    const m = (source: string) => ({ type: 'bind', source, target: '/x', read_only: false });
    expect(policy.decide(event({ container: container({ mounts: [m('/')] }) })).rule).toBe('host-root-bind');
    expect(policy.decide(event({ container: container({ mounts: [m('/var/run/docker.sock')] }) })).rule).toBe(
      'docker-socket-mount',
    );
  });

  it('denies privileged containers', () => {
    const d = policy.decide(event({ container: container({ privileged: true }) }));
    expect(d).toEqual({ allowed: false, rule: 'privileged-container', reason: expect.stringContaining('privileged') });
  });

  it('denies incomplete JSON bodies but not binary uploads', () => {
    expect(policy.decide(event({ bodyComplete: false, container: null })).rule).toBe('body-incomplete');
    expect(policy.decide(event({ endpoint: '/build', bodyComplete: false, container: null })).allowed).toBe(true);
    expect(policy.decide(event({ endpoint: '/images/load', bodyComplete: false, container: null })).allowed).toBe(true);
  });

  it.each([
    [['/tmp:/tmp'], 'an ordinary bind'],
    [['/home/u/src:/src:ro'], 'a home directory'],
    [['/srv/run:/run'], 'a directory named run elsewhere'],
    [[], 'no binds'],
  ])('allows %j (%s)', (binds) => {
    expect(policy.decide(event({ container: container({ binds }) }))).toEqual({
      allowed: true,
      rule: null,
      reason: null,
    });
  });

  it('applies container entries only to /containers/create', () => {
    const e = event({
      endpoint: '/containers/{id}/update',
      container: container({ privileged: true, binds: ['/:/m'] }),
    });
    expect(policy.decide(e).allowed).toBe(true);
  });

  it('disable leaves an entry out', () => {
    const p = defaultPolicy(['body-incomplete']);
    expect(p.decide(event({ bodyComplete: false, container: null })).allowed).toBe(true);
    expect(p.decide(event({ container: container({ privileged: true }) })).allowed).toBe(false);
    expect(p.size).toBe(policy.size - 1);
  });

  it('says it allows everything only when it has no entry at all', () => {
    expect(policy.allowsEverything).toBe(false);
    const empty = compileDenyPolicy([]).policy;
    expect([
      empty.allowsEverything,
      empty.decide(event({ container: container({ privileged: true }) })).allowed,
    ]).toEqual([true, true]);
  });

  it('the first matching entry in file order wins', () => {
    const d = policy.decide(
      event({ container: container({ privileged: true, binds: ['/var/run/docker.sock:/s', '/:/m'] }) }),
    );
    expect(d.rule).toBe('host-root-bind');
  });
});

describe('deny entries', () => {
  const compile = (text: string, opts = {}) => compileDenyPolicy([{ file: 'p.yml', text }], opts);

  it('endpoints and methods alone deny every call to them', () => {
    const { policy, problems } = compile(
      'deny:\n  - id: no-exec\n    message: exec is off\n    endpoints: ["/containers/{id}/exec"]\n    methods: post\n',
    );
    expect(problems).toEqual([]);
    expect(policy.decide(event({ endpoint: '/containers/{id}/exec', container: null })).rule).toBe('no-exec');
    expect(policy.decide(event({ endpoint: '/containers/{id}/exec', method: 'GET', container: null })).allowed).toBe(
      true,
    );
    expect(policy.decide(event({ endpoint: '/containers/create' })).allowed).toBe(true);
  });

  it('reports every problem of every entry, naming the entry and its position', () => {
    const text = [
      'deny:',
      '  - id: a',
      '    message: m',
      '    detection:',
      '      sel:',
      '        dockguard.container.binds|startwith: "/:"',
      '      condition: sel',
      '  - id: b',
      '    endpoint: [/containers/create]',
      '  - message: no id',
      '    methods: [POST]',
      '  - id: d',
      '    message: m',
      '    detection:',
      '      sel: { dockguard.endpoint: /x }',
      '      condition: sel and selx',
      '  - id: a',
      '    message: dup',
      '    methods: [GET]',
      '',
    ].join('\n');
    const { problems, policy } = compile(text);
    const msgs = problems.map((p) => p.format());
    expect(msgs.some((m) => /p\.yml:6:9: error MODIFIER_UNKNOWN: deny entry "a": .*startwith/.test(m))).toBe(true);
    expect(msgs.some((m) => /p\.yml:9:5: error CONFIG_INVALID: deny entry "b": unknown key "endpoint"/.test(m))).toBe(
      true,
    );
    expect(msgs.some((m) => /deny entry "b": needs a `message`/.test(m))).toBe(true);
    expect(msgs.some((m) => /deny entry 2: needs an `id`/.test(m))).toBe(true);
    expect(msgs.some((m) => /p\.yml:16:\d+: error CONDITION_UNKNOWN_IDENTIFIER: deny entry "d"/.test(m))).toBe(true);
    expect(msgs.some((m) => /deny entry "a": id already used/.test(m))).toBe(true);
    // nothing broken reaches the hot path; the duplicate's first definition failed too
    expect(policy.size).toBe(0);
  });

  it('an entry without conditions is refused (it would deny everything)', () => {
    const { problems } = compile('deny:\n  - id: x\n    message: m\n');
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('needs `endpoints`, `methods` or `detection`'),
    ]);
  });

  it('a file that is not a deny list is refused', () => {
    expect(compile('allow: []\n').problems[0]?.message).toMatch(/map with a `deny` list/);
    expect(compile('deny: [\n').problems[0]?.code).toBe('YAML_PARSE');
  });

  it('warns when disable names an unknown entry', () => {
    const { problems } = compile('deny:\n  - id: x\n    message: m\n    methods: [DELETE]\n', { disable: ['nope'] });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.severity).toBe('warning');
  });
});

describe('Sigma rules marked for blocking', () => {
  const rulesDir = path.resolve(__dirname, '../../sigma-rules/docker');
  const file = path.join(rulesDir, 'container-create-host-root-bind.yml');
  const load = loadRules([{ file, text: fs.readFileSync(file, 'utf8') }]);

  it('deny with the rule id and title', () => {
    const { policy, problems } = compileDenyPolicy([], { blockRules: load.rules });
    expect(problems).toEqual([]);
    const d = policy.decide(event({ container: container({ binds: ['/:/mnt'] }) }));
    expect(d.allowed).toBe(false);
    expect(d.rule).toBe('56abf52d-f5bd-49c2-b477-30c53bfdd15d');
    expect(d.reason).toContain('Container Created With The Host Root Filesystem Mounted');
    expect(policy.decide(event({})).allowed).toBe(true);
  });

  it('deny entries come before blocking rules', () => {
    const { policy } = compileDenyPolicy(
      [{ file: 'p.yml', text: 'deny:\n  - id: first\n    message: m\n    endpoints: [/containers/create]\n' }],
      { blockRules: load.rules },
    );
    expect(policy.decide(event({ container: container({ binds: ['/:/mnt'] }) })).rule).toBe('first');
  });
});

describe('evaluation never throws', () => {
  it('an internal error denies with policy-error and is counted', () => {
    const { policy } = compileDenyPolicy([
      { file: 'p.yml', text: 'deny:\n  - id: x\n    message: m\n    methods: [DELETE]\n' },
    ]);
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        has() {
          throw new Error('boom');
        },
        ownKeys() {
          throw new Error('boom');
        },
      },
    ) as unknown as DockerApiEvent;
    const d = policy.decide(hostile);
    expect(d.allowed).toBe(false);
    expect(d.rule).toBe('policy-error');
    expect(d.reason).toMatch(/^policy-error/);
    expect(policy.errors).toBe(1);
  });

  it('an empty policy allows everything', () => {
    const { policy } = compileDenyPolicy([]);
    expect(policy.decide(event({ container: container({ privileged: true }) })).allowed).toBe(true);
  });
});
