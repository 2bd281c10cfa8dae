import {
  AUTHZ_MAX_BODY,
  AuthzProtocolError,
  bodyWithheld,
  captureRequest,
  captureResponse,
  joinKey,
  parseAuthzRequest,
} from './docker-authz-capture';

const ctx = { eventId: 'e', receivedAt: 1, collectorId: 'c', hostName: 'h' };
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('AuthZReq parsing', () => {
  it.each([
    [null, 'JSON object'],
    [[], 'JSON object'],
    [{ RequestUri: '/x' }, 'RequestMethod'],
    [{ RequestMethod: 'GET' }, 'RequestUri'],
    [{ RequestMethod: 'G ET', RequestUri: '/x' }, 'RequestMethod'],
    [{ RequestMethod: 'GET', RequestUri: '/x', RequestHeaders: { a: 1 } }, 'RequestHeaders'],
    [{ RequestMethod: 'GET', RequestUri: '/x', RequestBody: 5 }, 'RequestBody'],
    [{ RequestMethod: 'GET', RequestUri: '/x', RequestPeerCertificates: [1] }, 'RequestPeerCertificates'],
    [{ RequestMethod: 'GET', RequestUri: '/x', ResponseStatusCode: '200' }, 'ResponseStatusCode'],
  ])('refuses %j naming %s', (msg, field) => {
    expect(() => parseAuthzRequest(msg)).toThrow(AuthzProtocolError);
    expect(() => parseAuthzRequest(msg)).toThrow(field);
  });
});

describe('captureRequest', () => {
  it('decodes the body, keeps the user, never has a client address', () => {
    const body = '{"Image":"alpine"}';
    const c = captureRequest(
      parseAuthzRequest({
        User: 'alice',
        UserAuthNMethod: 'TLS',
        RequestMethod: 'POST',
        RequestUri: '/v1.41/containers/create',
        RequestHeaders: { 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
        RequestBody: b64(body),
      }),
      ctx,
    );
    expect(c.request.body?.toString()).toBe(body);
    expect(c.request.bodyBytes).toBe(body.length);
    expect(c.request.bodyComplete).toBe(true);
    expect(c.client).toMatchObject({ ip: null, port: null, user: 'alice', tlsSubject: null });
    expect(c.mode).toBe('authz');
  });

  it.each([
    [
      { 'Content-Type': 'application/json', 'Content-Length': String(AUTHZ_MAX_BODY) },
      'POST',
      '/v1.41/containers/create',
      true,
    ],
    [
      { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': '2000000' },
      'POST',
      '/containers/create',
      true,
    ],
    [{ 'Content-Type': 'application/json' }, 'POST', '/containers/create', true],
    [{ 'Content-Type': 'application/json', 'Content-Length': '0' }, 'POST', '/containers/create', false],
    [{ 'Content-Type': 'text/plain', 'Content-Length': '0' }, 'POST', '/containers/x/start', false],
    [{ 'Content-Type': 'application/x-tar', 'Content-Length': '90000000' }, 'POST', '/build', false],
    [{ 'Content-Type': 'application/json', 'Content-Length': '2000000' }, 'POST', '/v1.41/auth', false],
    [{}, 'GET', '/containers/json', false],
  ])('%j %s %s: body withheld = %s', (headers, method, uri, withheld) => {
    expect(
      bodyWithheld(parseAuthzRequest({ RequestMethod: method, RequestUri: uri, RequestHeaders: headers })).withheld,
    ).toBe(withheld);
  });

  it('records the declared size of a withheld body', () => {
    const c = captureRequest(
      parseAuthzRequest({
        RequestMethod: 'POST',
        RequestUri: '/containers/create',
        RequestHeaders: { 'Content-Type': 'application/json', 'Content-Length': '1100198' },
      }),
      ctx,
    );
    expect(c.request).toMatchObject({ body: null, bodyBytes: 1100198, bodyComplete: false });
  });
});

describe('captureResponse and the join key', () => {
  it('keeps small JSON bodies (created ids) only', () => {
    const r = captureResponse(
      parseAuthzRequest({
        RequestMethod: 'POST',
        RequestUri: '/containers/create',
        ResponseStatusCode: 201,
        ResponseHeaders: { 'Content-Type': 'application/json' },
        ResponseBody: b64('{"Id":"abc"}'),
      }),
    );
    expect(r.statusCode).toBe(201);
    expect(r.body?.toString()).toBe('{"Id":"abc"}');
    const big = captureResponse(
      parseAuthzRequest({
        RequestMethod: 'GET',
        RequestUri: '/containers/json',
        ResponseHeaders: { 'Content-Type': 'application/json' },
        ResponseBody: b64('x'.repeat(70_000)),
      }),
    );
    expect(big.body).toBeNull();
    // hijacked streams: headers only
    expect(
      captureResponse(parseAuthzRequest({ RequestMethod: 'POST', RequestUri: '/exec/x/start' })).statusCode,
    ).toBeNull();
  });

  it('joins on user, method, URI, headers and body; not on response fields or header order', () => {
    const base = {
      RequestMethod: 'POST',
      RequestUri: '/containers/create',
      RequestHeaders: { A: '1', B: '2' },
      RequestBody: b64('{}'),
    };
    const k = joinKey(parseAuthzRequest(base));
    expect(joinKey(parseAuthzRequest({ ...base, RequestHeaders: { B: '2', A: '1' }, ResponseStatusCode: 201 }))).toBe(
      k,
    );
    for (const change of [
      { User: 'u' },
      { RequestUri: '/containers/create?name=x' },
      { RequestBody: b64('{"a":1}') },
      { RequestHeaders: { A: '1' } },
    ])
      expect(joinKey(parseAuthzRequest({ ...base, ...change }))).not.toBe(k);
  });
});
