import { parseDockerJson, toPlain } from './docker-json';
import { createRedactor, REDACTED } from './redact';

const r = createRedactor(Buffer.from('0123456789abcdef0123456789abcdef'));

function redactBody(text: string) {
  const { value, redacted } = r.body(parseDockerJson(text));
  return {
    plain: JSON.parse(JSON.stringify(toPlain(value))) as Record<string, unknown>,
    redacted,
    text: JSON.stringify(toPlain(value)),
  };
}

describe('secret redaction', () => {
  it('replaces registry credential headers, whatever their case, and keeps the others', () => {
    const h = r.headers({
      'X-Registry-Auth': 'eyJwYXNzd29yZCI6Imh1bnRlcjIifQ==',
      'Content-Type': 'application/json',
      authorization: 'Basic x',
    });
    expect(h).toEqual(
      Object.assign(Object.create(null), {
        'X-Registry-Auth': REDACTED,
        'Content-Type': 'application/json',
        authorization: REDACTED,
      }),
    );
  });

  it('keeps environment variable names and hides their values (equal values, equal hashes)', () => {
    const { plain, redacted, text } = redactBody(
      '{"Image":"a","Env":["AWS_SECRET_ACCESS_KEY=hunter2","TOKEN=hunter2","PATH"]}',
    );
    expect(text).not.toContain('hunter2');
    const env = plain['Env'] as string[];
    expect(env[0]).toMatch(/^AWS_SECRET_ACCESS_KEY=hmac-sha256:[0-9a-f]{32}$/);
    expect(env[0]?.split('=')[1]).toBe(env[1]?.split('=')[1]);
    expect(env[2]).toBe('PATH');
    expect(redacted).toEqual(['Env[0]', 'Env[1]']);
  });

  it('hides credentials in /auth bodies, AuthConfig, build args and exec Env, in any key spelling', () => {
    const { text, redacted } = redactBody(
      '{"username":"bob","PASSWORD":"hunter2","authConfig":{"password":"hunter2"},"BuildArgs":{"NPM_TOKEN":"hunter2"},"Ho\\u017ftConfig":{"x":1},"env":["A=hunter2"],"identitytoken":"hunter2"}',
    );
    expect(text).not.toContain('hunter2');
    expect(text).toContain('"username":"bob"');
    expect(redacted).toEqual(['PASSWORD', 'authConfig', 'BuildArgs', 'env[0]', 'identitytoken']);
  });

  it('leaves bodies without secrets as they were', () => {
    const body = '{"Image":"alpine","Cmd":["sh"],"HostConfig":{"Binds":["/:/mnt"]}}';
    const { text, redacted } = redactBody(body);
    expect(JSON.parse(text)).toEqual(JSON.parse(body));
    expect(redacted).toEqual([]);
  });

  it('refuses a short key', () => {
    expect(() => createRedactor(Buffer.from('short'))).toThrow(/16 bytes/);
  });
});
