import { normalizeRequest } from '../collectors/normalize/request-uri';
import { clientFilter, plainAddress } from './docker-proxy-clients';
import { capturesResponse, forwardHeaders, isStreamedBody, readUpTo, ResponseCapture } from './docker-proxy-http';
import { Readable } from 'stream';

describe('forwardHeaders', () => {
  it('drops hop-by-hop headers in any case, keeps the rest in order and spelling', () => {
    const raw = [
      'Host',
      'd',
      'CONNECTION',
      'keep-alive',
      'X-Registry-Auth',
      'abc',
      'Keep-Alive',
      '5',
      'Expect',
      '100-continue',
    ];
    expect(forwardHeaders(raw, { dropFraming: false })).toEqual(['Host', 'd', 'X-Registry-Auth', 'abc']);
  });
  it('keeps Connection/Upgrade only when asked (upgrades), and framing only when the body is not re-framed', () => {
    const raw = ['Connection', 'Upgrade', 'Upgrade', 'tcp', 'Content-Length', '3', 'Transfer-Encoding', 'chunked'];
    expect(forwardHeaders(raw, { dropFraming: true, keep: new Set(['connection', 'upgrade']) })).toEqual([
      'Connection',
      'Upgrade',
      'Upgrade',
      'tcp',
      'Host',
      'docker',
    ]);
    expect(forwardHeaders(raw, { dropFraming: false })).toEqual(['Content-Length', '3', 'Host', 'docker']);
  });
});

describe('isStreamedBody', () => {
  it('streams archives and buffers everything else, whatever the spelling of the path', () => {
    const streamed = (m: string, u: string) => isStreamedBody(normalizeRequest(m, u));
    expect(streamed('POST', '/v1.41/build?t=x')).toBe(true);
    expect(streamed('POST', '/images/load')).toBe(true);
    expect(streamed('PUT', '/v1.41/containers/abc/archive?path=/')).toBe(true);
    expect(streamed('POST', '/v1.41/containers/create')).toBe(false);
    expect(streamed('POST', '/v1.41/build/../containers/create')).toBe(false);
    expect(streamed('POST', '/v1.41/%63ontainers/create')).toBe(false);
    expect(streamed('POST', '/v1.41/exec/abc/start')).toBe(false);
    expect(streamed('POST', '/no/such/endpoint')).toBe(false);
  });
});

describe('readUpTo', () => {
  it('reads a body within the limit completely', async () => {
    const r = await readUpTo(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 10);
    expect(r).toEqual({ chunks: [Buffer.from('ab'), Buffer.from('cd')], bytes: 4, complete: true });
  });
  it('stops after the limit and leaves the rest in the stream', async () => {
    const chunks = Array.from({ length: 100 }, () => Buffer.alloc(1000, 1));
    const s = Readable.from(chunks);
    const r = await readUpTo(s, 2500);
    expect(r.complete).toBe(false);
    expect(r.bytes).toBe(3000);
    let rest = 0;
    for await (const c of s) rest += (c as Buffer).length;
    expect(r.bytes + rest).toBe(100_000);
  });
});

describe('response capture', () => {
  it('keeps small JSON answers only', () => {
    expect(capturesResponse({ 'content-type': 'application/json', 'content-length': '90' })).toBe(true);
    expect(capturesResponse({ 'content-type': 'application/json' })).toBe(true);
    expect(capturesResponse({ 'content-type': 'application/json', 'content-length': String(64 * 1024) })).toBe(false);
    expect(capturesResponse({ 'content-type': 'application/vnd.docker.raw-stream' })).toBe(false);
    const c = new ResponseCapture();
    c.add(Buffer.alloc(60 * 1024));
    expect(c.body()?.length).toBe(60 * 1024);
    c.add(Buffer.alloc(8 * 1024));
    expect(c.body()).toBeNull();
  });
});

describe('clientFilter', () => {
  it('allows everyone with an empty list', () => {
    expect(clientFilter([])('203.0.113.7')).toBe(true);
  });
  it('matches CIDRs and single addresses, IPv4-mapped IPv6 as IPv4, and refuses unknown addresses', () => {
    const f = clientFilter(['10.0.0.0/8', '192.0.2.5', 'fd00::/8']);
    expect(f('10.1.2.3')).toBe(true);
    expect(f(plainAddress('::ffff:10.9.9.9'))).toBe(true);
    expect(f('192.0.2.5')).toBe(true);
    expect(f('192.0.2.6')).toBe(false);
    expect(f('fd12::1')).toBe(true);
    expect(f('127.0.0.1')).toBe(false);
    expect(f(null)).toBe(false);
  });
});
