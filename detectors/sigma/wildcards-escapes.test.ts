/**
 * Values, wildcards and escapes, lists, maps, keywords and field resolution, from
 * the rules specification: "General", "String Wildcard", "Escape Character",
 * "Lists", "Maps", "Special Field Values", "Keywords search".
 *
 * Rule texts are written with String.raw so that backslashes read exactly as in
 * the YAML (single-quoted YAML keeps backslashes as they are).
 */
import { errorCodesOf, load, matcher, ruleDoc } from './test-helpers';

/** A matcher for `Field: <value>` where value is the raw single-quoted YAML text. */
function fieldIs(value: string): (v: unknown) => boolean {
  const m = matcher(`selection:\n  Field: '${value}'\ncondition: selection`);
  return (v) => m({ Field: v });
}

describe('string wildcards', () => {
  it('"? to replace a single mandatory character": prog?.exe', () => {
    const m = fieldIs('prog?.exe');
    expect(m('progA.exe')).toBe(true);
    expect(m('progB.exe')).toBe(true);
    expect(m('prog.exe')).toBe(false);
    expect(m('progAB.exe')).toBe(false);
  });

  it('"* to replace an unbounded length wildcard": antivirus_V*.exe', () => {
    const m = fieldIs('antivirus_V*.exe');
    expect(m('antivirus_V1.exe')).toBe(true);
    expect(m('antivirus_V21.2.1.exe')).toBe(true);
    expect(m('antivirus_V.exe')).toBe(true); // zero characters
    expect(m('antivirus_V1.exe.txt')).toBe(false);
    expect(m('xantivirus_V1.exe')).toBe(false);
  });

  it('several wildcards in one value', () => {
    const m = fieldIs('*/docker?.sock*');
    expect(m('-v /var/run/docker.sock:/var/run/docker.sock')).toBe(false); // ? needs one character
    expect(m('-v /run/dockerd.sock:/x')).toBe(true);
    const stars = fieldIs('a*b*c');
    expect(stars('abc')).toBe(true);
    expect(stars('a-b-b-c')).toBe(true);
    expect(stars('acb')).toBe(false);
    expect(stars('abcx')).toBe(false);
  });

  it('? stands for one character, not one UTF-16 code unit', () => {
    const m = fieldIs('prog?.exe');
    expect(m('prog\u{1F600}.exe')).toBe(true); // an astral character is one character
    expect(m('prog\u00e9.exe')).toBe(true);
  });

  it('? stands for one character also when lower-casing changes the length (case-insensitive default)', () => {
    const m = fieldIs('prog?.exe');
    // 'İ'.toLowerCase() is two code units; case-insensitive matching must not change what ? consumes
    expect(m('prog\u0130.exe')).toBe(true);
  });

  it('"All values are treated as case-insensitive strings" — literals and wildcards alike', () => {
    expect(fieldIs('C:\\Windows\\System32\\CMD.exe')('c:\\windows\\system32\\cmd.EXE')).toBe(true);
    expect(fieldIs('*MIMI*')('sekurlsa mimikatz')).toBe(true);
    expect(fieldIs('Prog?.EXE')('progx.exe')).toBe(true);
  });
});

describe('"Escape Character" — the list of the specification, one by one', () => {
  it('"Plain backslash not followed by a wildcard can be expressed as single \\ or double backslash \\\\"', () => {
    const single = fieldIs(String.raw`C:\Windows\System32`);
    const double = fieldIs(String.raw`C:\\Windows\\System32`);
    for (const m of [single, double]) {
      expect(m(String.raw`C:\Windows\System32`)).toBe(true);
      expect(m(String.raw`C:\\Windows\\System32`)).toBe(false);
    }
  });

  it('"A wildcard has to be escaped to be handled as a plain character. eg: \\*, \\?"', () => {
    const star = fieldIs(String.raw`a\*b`);
    expect(star('a*b')).toBe(true);
    expect(star('aXb')).toBe(false);
    expect(star('ab')).toBe(false);
    const q = fieldIs(String.raw`what\?`);
    expect(q('what?')).toBe(true);
    expect(q('whatX')).toBe(false);
  });

  it('"The backslash before a wildcard has to be escaped ... a backslash followed by a wildcard: \\\\*"', () => {
    const m = fieldIs(String.raw`C:\\*`);
    expect(m(String.raw`C:\Windows`)).toBe(true);
    expect(m('C:\\')).toBe(true);
    expect(m('C:Windows')).toBe(false);
    expect(m(String.raw`C:\*`)).toBe(true); // the wildcard also matches a star
  });

  it('"Three backslashes are necessary to escape both, the backslash and the wildcard ...: \\\\\\*"', () => {
    const m = fieldIs(String.raw`C:\\\*`);
    expect(m(String.raw`C:\*`)).toBe(true);
    expect(m(String.raw`C:\Windows`)).toBe(false);
    expect(m(String.raw`C:\\*`)).toBe(false);
  });

  it('"Three or four backslashes are handled as double backslash ... \\\\\\\\ results in the plain value \\\\"', () => {
    const four = fieldIs(String.raw`\\\\srv\share`);
    const three = fieldIs(String.raw`\\\srv\share`);
    for (const m of [four, three]) {
      expect(m(String.raw`\\srv\share`)).toBe(true);
      expect(m(String.raw`\srv\share`)).toBe(false);
      expect(m(String.raw`\\\srv\share`)).toBe(false);
    }
  });

  it('a trailing single backslash is a plain backslash', () => {
    const m = fieldIs('C:\\');
    expect(m('C:\\')).toBe(true);
    expect(m('C:')).toBe(false);
  });

  it('escapes are kept by contains/startswith/endswith: endswith \\\\* ends with a backslash and a star', () => {
    const m = matcher(String.raw`
      selection:
        Field|endswith: '\\\*'
      condition: selection
    `);
    expect(m({ Field: String.raw`x\*` })).toBe(true);
    expect(m({ Field: String.raw`x\y` })).toBe(false);
  });
});

describe('"Special Field Values"', () => {
  it('"A null value is defined with null": a missing field or a null value', () => {
    const m = matcher(`
      selection:
        EventID: 4738
      filter:
        PasswordLastSet: null
      condition: selection and not filter
    `);
    expect(m({ EventID: 4738, PasswordLastSet: '2024-01-01' })).toBe(true);
    expect(m({ EventID: 4738, PasswordLastSet: null })).toBe(false);
    expect(m({ EventID: 4738 })).toBe(false);
    expect(m({ EventID: 4738, PasswordLastSet: '' })).toBe(true); // empty is not null
    expect(m({ EventID: 4738, PasswordLastSet: 'null' })).toBe(true); // nor the word "null"
  });

  it('"An empty value is defined with \'\'": matches only the empty string', () => {
    const m = matcher(`
      selection:
        FieldB: ''
      condition: selection
    `);
    expect(m({ FieldB: '' })).toBe(true);
    expect(m({ FieldB: 'x' })).toBe(false);
    expect(m({ FieldB: null })).toBe(false);
    expect(m({})).toBe(false);
  });

  it('the valid example: "selection_main and 1 of selection_empty*" with \'\' and null in separate selections', () => {
    const m = matcher(`
      selection_main:
        FieldA: 'something'
      selection_empty1:
        FieldB: ''
      selection_empty2:
        FieldB: null
      condition: selection_main and 1 of selection_empty*
    `);
    expect(m({ FieldA: 'something', FieldB: '' })).toBe(true);
    expect(m({ FieldA: 'something', FieldB: null })).toBe(true);
    expect(m({ FieldA: 'something' })).toBe(true);
    expect(m({ FieldA: 'something', FieldB: 'x' })).toBe(false);
  });

  it('"null cannot be part of a list of field values": the invalid example is rejected', () => {
    const text = ruleDoc(`
      selection_main:
        FieldA: 'something'
        FieldB:
          - ''
          - null
      condition: selection_main
    `);
    expect(errorCodesOf(text)).toEqual(['VALUE_INVALID']);
    expect(load(text).rules).toHaveLength(0);
  });

  it('numbers are compared as their string form', () => {
    const m = matcher(`
      selection:
        EventID: 4769
      condition: selection
    `);
    expect(m({ EventID: 4769 })).toBe(true);
    expect(m({ EventID: '4769' })).toBe(true);
    expect(m({ EventID: 47690 })).toBe(false);
    const s = matcher(`
      selection:
        TicketOptions: '0x40810000'
        EventID: '4769'
      condition: selection
    `);
    expect(s({ TicketOptions: '0x40810000', EventID: 4769 })).toBe(true);
  });

  it('booleans are compared as their string form, case-insensitively', () => {
    const m = matcher(`
      selection:
        HostConfig.Privileged: true
      condition: selection
    `);
    expect(m({ HostConfig: { Privileged: true } })).toBe(true);
    expect(m({ HostConfig: { Privileged: 'true' } })).toBe(true);
    expect(m({ HostConfig: { Privileged: 'True' } })).toBe(true);
    expect(m({ HostConfig: { Privileged: false } })).toBe(false);
    expect(m({ HostConfig: { Privileged: 1 } })).toBe(false);
  });
});

describe('"Lists" and "Maps"', () => {
  it('a list of values is linked with OR', () => {
    const m = matcher(`
      selection:
        Image:
          - '/usr/bin/nsenter'
          - '/usr/sbin/chroot'
      condition: selection
    `);
    expect(m({ Image: '/usr/bin/nsenter' })).toBe(true);
    expect(m({ Image: '/usr/sbin/chroot' })).toBe(true);
    expect(m({ Image: '/bin/sh' })).toBe(false);
  });

  it('"All elements of a map are joined with a logical AND" — the spec example EventLog and (517 or 1102)', () => {
    const m = matcher(`
      selection:
        EventLog: Security
        EventID:
          - 517
          - 1102
      condition: selection
    `);
    expect(m({ EventLog: 'Security', EventID: 517 })).toBe(true);
    expect(m({ EventLog: 'Security', EventID: 1102 })).toBe(true);
    expect(m({ EventLog: 'Security', EventID: 4624 })).toBe(false);
    expect(m({ EventLog: 'System', EventID: 517 })).toBe(false);
    expect(m({ EventID: 517 })).toBe(false);
  });

  it('"All map items of a list are logically linked with OR" — the spec example of a list of maps', () => {
    const m = matcher(String.raw`
      selection:
        - Image|endswith: '\example.exe'
        - Description|contains: 'Test executable'
      condition: selection
    `);
    expect(m({ Image: String.raw`C:\tmp\example.exe` })).toBe(true);
    expect(m({ Description: 'A Test Executable here' })).toBe(true);
    expect(m({ Image: String.raw`C:\tmp\other.exe`, Description: 'nothing' })).toBe(false);
  });

  it('a list of maps, each map an AND', () => {
    const m = matcher(`
      selection:
        - Endpoint: '/containers/create'
          HostConfig.Privileged: true
        - Endpoint|contains: '/exec'
          User: root
      condition: selection
    `);
    expect(m({ Endpoint: '/containers/create', HostConfig: { Privileged: true } })).toBe(true);
    expect(m({ Endpoint: '/containers/abc/exec', User: 'root' })).toBe(true);
    expect(m({ Endpoint: '/containers/create', User: 'root' })).toBe(false);
    expect(m({ Endpoint: '/containers/abc/exec', HostConfig: { Privileged: true } })).toBe(false);
  });
});

describe('"Keywords search" — "searching for keywords across an entire event"', () => {
  it('a list of keywords: "event::clear" or "event::drop", as case-insensitive substrings of any value', () => {
    const m = matcher(`
      mimikatz_keywords:
        - 'event::clear'
        - 'event::drop'
      condition: mimikatz_keywords
    `);
    expect(m({ CommandLine: 'mimikatz.exe "EVENT::CLEAR" exit' })).toBe(true);
    expect(m({ Message: 'x event::drop y' })).toBe(true);
    expect(m({ CommandLine: 'event::list' })).toBe(false);
  });

  it('keywords are found in nested objects and arrays, not in key names', () => {
    const m = matcher(`
      keywords:
        - 'docker.sock'
      condition: keywords
    `);
    expect(m({ HostConfig: { Binds: ['/tmp:/tmp', '/var/run/docker.sock:/var/run/docker.sock'] } })).toBe(true);
    expect(m({ a: { b: { c: [{ d: 'X DOCKER.SOCK' }] } } })).toBe(true);
    expect(m({ 'docker.sock': 'value' })).toBe(false);
  });

  it('a numeric keyword is searched as text, like any keyword', () => {
    const m = matcher(`
      keywords:
        - 4769
      condition: keywords
    `);
    expect(m({ EventID: 4769 })).toBe(true);
    expect(m({ Message: 'A Kerberos ticket was requested (4769)' })).toBe(true);
  });

  it('"To have a and operator, we use the \'|all\': modifier" — the spec example', () => {
    const m = matcher(`
      keywords_cmdlet:
        '|all':
          - 'OabVirtualDirectory'
          - ' -ExternalUrl '
      condition: keywords_cmdlet
    `);
    expect(m({ CommandLine: 'Set-OabVirtualDirectory -ExternalUrl http://x' })).toBe(true);
    // the two keywords may sit in different fields of the event
    expect(m({ Cmdlet: 'set-oabvirtualdirectory', Args: 'x -externalurl y' })).toBe(true);
    expect(m({ CommandLine: 'Set-OabVirtualDirectory -InternalUrl http://x' })).toBe(false);
  });
});

describe('field resolution in events', () => {
  it('a dotted field name follows nested objects: HostConfig.Privileged', () => {
    const m = matcher(`
      selection:
        HostConfig.Privileged: true
        HostConfig.PidMode: host
      condition: selection
    `);
    expect(m({ HostConfig: { Privileged: true, PidMode: 'host' } })).toBe(true);
    expect(m({ HostConfig: { Privileged: true } })).toBe(false);
    expect(m({ HostConfig: 'Privileged' })).toBe(false);
  });

  it('a top-level key containing dots takes precedence over the nested path', () => {
    const m = matcher(`
      selection:
        process.command_line|contains: nsenter
      condition: selection
    `);
    expect(m({ 'process.command_line': 'nsenter -t 1' })).toBe(true);
    expect(m({ process: { command_line: 'nsenter -t 1' } })).toBe(true);
    // both present: only the flattened key is read
    expect(m({ 'process.command_line': 'ls', process: { command_line: 'nsenter -t 1' } })).toBe(false);
    expect(m({ 'process.command_line': 'nsenter', process: { command_line: 'ls' } })).toBe(true);
  });

  it('an array value matches when any element matches', () => {
    const m = matcher(`
      selection:
        Cmd|contains: nsenter
      condition: selection
    `);
    expect(m({ Cmd: ['sh', '-c', 'nsenter -t 1 -m -u -i -n sh'] })).toBe(true);
    expect(m({ Cmd: ['sh', '-c', 'ls'] })).toBe(false);
    expect(m({ Cmd: [] })).toBe(false);
  });

  it('arrays along a dotted path: any element of Mounts', () => {
    const m = matcher(`
      selection:
        HostConfig.Mounts.Source: '/'
      condition: selection
    `);
    expect(m({ HostConfig: { Mounts: [{ Source: '/tmp' }, { Source: '/' }] } })).toBe(true);
    expect(m({ HostConfig: { Mounts: [{ Source: '/tmp' }, { Target: '/' }] } })).toBe(false);
  });

  it('__proto__ and constructor in paths never resolve to inherited properties', () => {
    const exists = (field: string): ((e: unknown) => boolean) =>
      matcher(`selection:\n  ${field}|exists: true\ncondition: selection`);
    expect(exists('Obj.constructor')({ Obj: {} })).toBe(false);
    expect(exists('Obj.toString')({ Obj: {} })).toBe(false);
    expect(exists('Obj.__proto__.hasOwnProperty')({ Obj: {} })).toBe(false);
    expect(exists('Obj.constructor.name')({ Obj: {} })).toBe(false);
    expect(exists('Obj.constructor')({ Obj: { constructor: 'own' } })).toBe(true);
    const named = matcher(`selection:\n  Obj.constructor.name: Object\ncondition: selection`);
    expect(named({ Obj: {} })).toBe(false);
  });

  it('an event parsed from JSON with a "__proto__" key is data: matched as such, Object.prototype untouched', () => {
    const event: unknown = JSON.parse('{"Obj": {"__proto__": {"polluted": "yes"}}, "Other": "x"}');
    const own = matcher(`selection:\n  Obj.__proto__.polluted: 'yes'\ncondition: selection`);
    expect(own(event)).toBe(true);
    const kw = matcher(`keywords:\n  - 'yes'\ncondition: keywords`);
    expect(kw(event)).toBe(true);
    const inherited = matcher(`selection:\n  Other.polluted|exists: true\ncondition: selection`);
    expect(inherited(event)).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  });
});
