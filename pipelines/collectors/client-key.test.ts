import { canonicalIp, clientKey, type ClientKeyEvent } from './client-key';

function ev(over: {
  ip?: string | null;
  subject?: string | null;
  user?: string | null;
  collector?: string;
}): ClientKeyEvent {
  return {
    source: { ip: over.ip ?? null, port: over.ip ? 40000 : null },
    tls: over.subject === undefined ? null : { client: { subject: over.subject, issuer: null, hash_sha256: null } },
    user: { name: over.user ?? null },
    collector: { id: over.collector ?? 'collector-1', mode: 'proxy' },
  };
}

describe('clientKey', () => {
  it('prefers the address, then the TLS subject, then the user, then the collector', () => {
    const all = { ip: '203.0.113.7', subject: 'CN=ci', user: 'alice', collector: 'c9' };
    expect(clientKey(ev(all))).toBe('ip:203.0.113.7');
    expect(clientKey(ev({ ...all, ip: null }))).toBe('tls:CN=ci');
    expect(clientKey(ev({ ...all, ip: null, subject: null }))).toBe('user:alice');
    expect(clientKey(ev({ ...all, ip: null, subject: null, user: null }))).toBe('collector:c9');
  });

  it('treats empty strings as absent (a missing value must not become a shared key "ip:")', () => {
    expect(clientKey(ev({ ip: '', subject: '', user: 'bob' }))).toBe('user:bob');
    expect(clientKey(ev({ ip: '', user: '' }))).toBe('collector:collector-1');
  });

  it('keeps kinds apart: a user named like an address is not that address', () => {
    expect(clientKey(ev({ user: '10.0.0.1' }))).not.toBe(clientKey(ev({ ip: '10.0.0.1' })));
  });

  it('an IPv4 client has one key whether the socket reported it mapped into IPv6 or not', () => {
    expect(clientKey(ev({ ip: '::ffff:10.1.2.3' }))).toBe(clientKey(ev({ ip: '10.1.2.3' })));
    expect(canonicalIp('2001:DB8::1')).toBe('2001:db8::1');
    // a mapped form that is not a dotted quad stays as it is
    expect(canonicalIp('::ffff:a01:203')).toBe('::ffff:a01:203');
  });

  it('is deterministic: the same event always gives the same key', () => {
    const e = ev({ subject: 'CN=deploy,O=acme' });
    expect(new Set(Array.from({ length: 5 }, () => clientKey(e))).size).toBe(1);
  });
});
