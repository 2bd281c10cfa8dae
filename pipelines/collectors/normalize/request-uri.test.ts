import { normalizeRequest, type NormalizedRequest } from './request-uri';
// seeded, so a failing spelling can be replayed
import { mulberry32 } from '../../../test/traffic/prng';

/** The parts that must not depend on spelling. */
function meaning(r: NormalizedRequest) {
  return { method: r.method, endpoint: r.endpoint, path: r.path, pathParams: r.pathParams, params: r.params };
}

describe('normalizeRequest: spellings of one request', () => {
  const canonical = normalizeRequest('POST', '/containers/create?name=c1');

  it('classifies the canonical request without anomalies', () => {
    expect(canonical.endpoint).toBe('/containers/create');
    expect(canonical.operationId).toBe('ContainerCreate');
    expect(canonical.params).toEqual({ name: ['c1'] });
    expect(canonical.anomalies).toEqual([]);
    expect(canonical.apiVersion).toBeNull();
  });

  it.each([
    ['version prefix', '/v1.41/containers/create?name=c1', []],
    ['encoded slash %2F', '/v1.41/containers%2Fcreate?name=c1', ['percent-encoded-path', 'encoded-slash']],
    ['unreserved escapes %63ontainers / %65', '/%63ontainers/cr%65ate?name=c1', ['percent-encoded-path']],
    ['escaped query', '/containers/create?n%61me=%63%31', []],
    ['double slash', '/v1.41//containers//create?name=c1', ['double-slash']],
    ['dot segment', '/v1.41/./containers/./create?name=c1', ['dot-segments']],
    ['dot-dot segment', '/v1.41/containers/x/../create?name=c1', ['dot-segments']],
    ['encoded dot-dot', '/containers/x/%2E%2E/create?name=c1', ['dot-segments', 'percent-encoded-path']],
    ['trailing slash', '/containers/create/?name=c1', ['trailing-slash']],
    ['upper case', '/CONTAINERS/Create?name=c1', ['case-changed']],
    ['upper-case version', '/V1.41/containers/create?name=c1', ['case-changed']],
    ['lower-case method', '/containers/create?name=c1', ['method-case-changed']],
    ['query noise', '/containers/create?name=c1&&', ['empty-query-pair']],
    ['absolute form', 'http://docker/v1.41/containers/create?name=c1', ['absolute-form']],
  ])('%s: %s', (label, uri, expected) => {
    const r = normalizeRequest(label === 'lower-case method' ? 'post' : 'POST', uri);
    expect(meaning(r)).toEqual(meaning(canonical));
    expect(r.original).toBe(uri);
    for (const a of expected) expect(r.anomalies).toContain(a);
    if (expected.length === 0) expect(r.anomalies).toEqual([]);
  });

  it('query noise `?name=c1&&foo` keeps name and adds only the empty flag foo', () => {
    const r = normalizeRequest('POST', '/containers/create?name=c1&&foo');
    expect(r.endpoint).toBe('/containers/create');
    expect(r.params).toEqual({ name: ['c1'], foo: [''] });
    expect(r.anomalies).toContain('empty-query-pair');
  });

  it('takes the version from the prefix, or null', () => {
    expect(normalizeRequest('GET', '/v1.41/info').apiVersion).toBe('1.41');
    expect(normalizeRequest('GET', '/info').apiVersion).toBeNull();
    // mux cleans before matching, so a traversal out of the prefix drops the version.
    expect(normalizeRequest('GET', '/v1.41/../info').apiVersion).toBeNull();
    // dockerd's matcher is [0-9.]+, so odd versions still route; flag them.
    const odd = normalizeRequest('GET', '/v1.41.0/info');
    expect(odd.endpoint).toBe('/info');
    expect(odd.anomalies).toContain('unusual-api-version');
  });
});

describe('normalizeRequest: seed attack URIs', () => {
  it.each([
    ['POST', '/v1.41/images/create?fromImage=alpine&tag=latest', '/images/create', {}],
    ['POST', '/v1.41/containers/create', '/containers/create', {}],
    ['POST', '/v1.41/containers/4f2a9c/start', '/containers/{id}/start', { id: '4f2a9c' }],
    ['POST', '/v1.41/containers/4f2a9c/exec', '/containers/{id}/exec', { id: '4f2a9c' }],
    ['POST', '/v1.41/exec/abc/start', '/exec/{id}/start', { id: 'abc' }],
  ])('%s %s', (method, uri, endpoint, pathParams) => {
    const r = normalizeRequest(method, uri);
    expect(r.endpoint).toBe(endpoint);
    expect(r.pathParams).toEqual(pathParams);
    expect(r.apiVersion).toBe('1.41');
    expect(r.anomalies).toEqual([]);
  });

  it('decodes the image-pull query', () => {
    const r = normalizeRequest('POST', '/v1.41/images/create?fromImage=alpine&tag=latest');
    expect(r.query).toBe('fromImage=alpine&tag=latest');
    expect(r.params).toEqual({ fromImage: ['alpine'], tag: ['latest'] });
  });
});

describe('normalizeRequest: names with slashes', () => {
  it.each([
    ['GET', '/images/library/alpine/json', '/images/{name}/json', 'library/alpine'],
    [
      'GET',
      '/v1.41/images/registry.example:5000/team/app:1.2/history',
      '/images/{name}/history',
      'registry.example:5000/team/app:1.2',
    ],
    ['POST', '/images/library/alpine/push', '/images/{name}/push', 'library/alpine'],
    ['POST', '/images/library/alpine/tag?repo=evil/alpine', '/images/{name}/tag', 'library/alpine'],
    ['GET', '/images/library/alpine/get', '/images/{name}/get', 'library/alpine'],
    ['DELETE', '/images/library/alpine', '/images/{name}', 'library/alpine'],
    ['GET', '/distribution/docker.io/library/alpine/json', '/distribution/{name}/json', 'docker.io/library/alpine'],
    ['POST', '/plugins/vieux/sshfs:latest/enable', '/plugins/{name}/enable', 'vieux/sshfs:latest'],
    ['GET', '/images/library%2Falpine/json', '/images/{name}/json', 'library/alpine'],
  ])('%s %s', (method, uri, endpoint, name) => {
    const r = normalizeRequest(method, uri);
    expect(r.endpoint).toBe(endpoint);
    expect(r.pathParams).toEqual({ name });
    expect(r.anomalies).not.toContain('slash-in-param');
  });

  it('prefers fixed templates over a name that spells one', () => {
    expect(normalizeRequest('GET', '/images/json').endpoint).toBe('/images/json');
    expect(normalizeRequest('GET', '/images/get').endpoint).toBe('/images/get');
    expect(normalizeRequest('POST', '/plugins/pull').endpoint).toBe('/plugins/pull');
  });

  it('routes a container name with a slash as dockerd does ({name:.*}) and flags it', () => {
    const r = normalizeRequest('POST', '/containers/a/b/start');
    expect(r.endpoint).toBe('/containers/{id}/start');
    expect(r.pathParams).toEqual({ id: 'a/b' });
    expect(r.anomalies).toContain('slash-in-param');
  });

  it('keeps swarm parameters to one segment, as dockerd ({id})', () => {
    expect(normalizeRequest('GET', '/services/abc').endpoint).toBe('/services/{id}');
    expect(normalizeRequest('GET', '/services/a/b').endpoint).toBeNull();
  });
});

describe('normalizeRequest: unknown endpoints', () => {
  it.each([
    ['GET', '/containers/4f2a/nope/x'],
    ['POST', '/secret-backdoor'],
    ['GET', '/v1.41/v1.41/info'],
    ['BREW', '/containers/create'],
  ])('%s %s', (method, uri) => {
    const r = normalizeRequest(method, uri);
    expect(r.endpoint).toBeNull();
    expect(r.operationId).toBeNull();
    expect(r.pathParams).toEqual({});
    expect(r.anomalies).toContain('unknown-endpoint');
  });

  it('says when only the method is wrong', () => {
    const r = normalizeRequest('GET', '/containers/create');
    expect(r.endpoint).toBeNull();
    expect(r.anomalies).toEqual(expect.arrayContaining(['unknown-endpoint', 'method-mismatch']));
  });
});

describe('normalizeRequest: malformed input never throws', () => {
  it.each([
    ['bad escape', '/containers/%zz/start', 'bad-percent-encoding'],
    ['lone percent', '/containers/create?name=%', 'bad-percent-encoding'],
    ['truncated escape', '/containers/create%4', 'bad-percent-encoding'],
    ['empty string', '', 'empty-uri'],
    ['no leading slash', 'containers/create', 'no-leading-slash'],
    ['invalid UTF-8', '/containers/%ff%fe/start', 'invalid-utf8'],
    ['double encoding', '/containers%252Fcreate', 'double-encoding'],
    ['control character', '/containers/create\r\nX: y', 'control-character'],
    ['semicolon', '/containers/create?name=a;b', 'semicolon-in-query'],
    ['duplicate key', '/images/create?fromImage=ok&fromImage=evil', 'duplicate-query-param'],
  ])('%s', (_label, uri, anomaly) => {
    const r = normalizeRequest('POST', uri);
    expect(r.anomalies).toContain(anomaly);
    expect(r.original).toBe(uri);
  });

  it('keeps a bad escape literally and still classifies', () => {
    const r = normalizeRequest('POST', '/containers/%zz/start');
    expect(r.endpoint).toBe('/containers/{id}/start');
    expect(r.pathParams).toEqual({ id: '%zz' });
  });

  it('decodes once only: %252F stays %2F, not a separator', () => {
    const r = normalizeRequest('POST', '/containers/a%252Fb/start');
    expect(r.pathParams).toEqual({ id: 'a%2Fb' });
  });

  it('treats query keys like __proto__ as data', () => {
    const r = normalizeRequest('POST', '/containers/create?__proto__=x&constructor=y');
    expect(r.params['__proto__']).toEqual(['x']);
    expect(r.params['constructor']).toEqual(['y']);
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('stays at root under 10,000 `../` and returns in linear time', () => {
    const uri = '/' + '../'.repeat(10_000) + 'containers/create';
    const r = normalizeRequest('POST', uri);
    expect(r.endpoint).toBe('/containers/create');
    expect(r.anomalies).toEqual(expect.arrayContaining(['dot-segments', 'traversal-above-root']));
    const encoded = normalizeRequest('POST', '/' + '%2e%2e%2f'.repeat(10_000) + 'info');
    expect(encoded.path).toBe('/info');
  });

  it('survives a long random byte soup', () => {
    const rnd = mulberry32(7);
    const alphabet = '/%.?&=+;#aZ09%2F%zz\u00e9\u0000 ';
    for (let n = 0; n < 500; n++) {
      let s = '';
      const len = Math.floor(rnd() * 60);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      expect(() => normalizeRequest('POST', s)).not.toThrow();
    }
  });
});

describe('normalizeRequest: property, random spellings keep the meaning', () => {
  // [method, segments, which segments are fixed (case may change), query]
  const cases: Array<[string, string[], boolean[], string]> = [
    ['POST', ['containers', 'create'], [true, true], 'name=c1'],
    ['POST', ['containers', '4f2a9c', 'start'], [true, false, true], ''],
    ['POST', ['containers', '4f2a9c', 'exec'], [true, false, true], ''],
    ['POST', ['exec', 'abc', 'start'], [true, false, true], ''],
    ['POST', ['images', 'create'], [true, true], 'fromImage=alpine&tag=latest'],
    ['GET', ['images', 'library', 'alpine', 'json'], [true, false, false, true], ''],
    ['POST', ['plugins', 'vieux', 'sshfs', 'enable'], [true, false, false, true], ''],
    ['DELETE', ['volumes', 'data'], [true, false], 'force=true'],
  ];

  const encodeChar = (c: string) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0');

  function spell(rnd: () => number, segs: string[], fixed: boolean[]): string {
    const out: string[] = [];
    segs.forEach((seg, i) => {
      let s = '';
      for (const c of seg) {
        let x = c;
        if (fixed[i] && rnd() < 0.3) x = rnd() < 0.5 ? x.toUpperCase() : x.toLowerCase();
        if (rnd() < 0.2) x = encodeChar(x);
        s += x;
      }
      if (rnd() < 0.15) out.push('.');
      if (rnd() < 0.15) out.push('junk', '..');
      if (rnd() < 0.15) out.push('');
      out.push(s);
    });
    let p = '/' + out.join('/');
    // Encode separators after the first one.
    p = p[0] + p.slice(1).replace(/\//g, (m) => (rnd() < 0.2 ? '%2F' : m));
    if (rnd() < 0.5) p = (rnd() < 0.5 ? '/v1.41' : '/V1.24') + p;
    if (rnd() < 0.2) p += '/';
    return p;
  }

  it('2,000 spellings normalise to the canonical endpoint, params and path', () => {
    const rnd = mulberry32(0xd0c6);
    for (let n = 0; n < 2000; n++) {
      const [method, segs, fixed, q] = cases[n % cases.length] as (typeof cases)[number];
      const canonical = normalizeRequest(method, '/' + segs.join('/') + (q ? '?' + q : ''));
      expect(canonical.endpoint).not.toBeNull();
      const uri = spell(rnd, segs, fixed) + (q ? '?' + q + (rnd() < 0.3 ? '&&' : '') : '');
      const r = normalizeRequest(rnd() < 0.2 ? method.toLowerCase() : method, uri);
      if (JSON.stringify(meaning(r)) !== JSON.stringify(meaning(canonical))) {
        throw new Error(`${method} ${uri} normalised to ${JSON.stringify(meaning(r))}`);
      }
    }
  });
});
