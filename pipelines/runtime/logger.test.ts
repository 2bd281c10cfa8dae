import { Writable } from 'node:stream';
import { DockguardError } from '../../detectors/errors';
import { createLogger } from './logger';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  test('writes the stable field names: time (ISO), level (name), service, host, msg', () => {
    const out = capture();
    const log = createLogger('detector', { file: null, values: {} }, out.stream);
    log.info({ topic: 'audit' }, 'started');
    const [line] = out.lines();
    expect(line).toMatchObject({ level: 'info', service: 'detector', msg: 'started', topic: 'audit' });
    expect(line?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(typeof line?.host).toBe('string');
    expect(Object.keys(line ?? {}).slice(0, 5)).toEqual(['level', 'time', 'service', 'host', 'topic']);
  });

  test('errors go under err with the DockguardError code, stage, retriable flag and cause', () => {
    const out = capture();
    const log = createLogger('indexer', { file: null, values: {} }, out.stream);
    const e = new DockguardError({
      stage: 'runtime',
      code: 'ELASTICSEARCH_UNAVAILABLE',
      message: 'no answer',
      retriable: true,
      cause: new Error('ECONNREFUSED'),
    });
    log.error({ err: e }, 'bulk failed');
    const err = out.lines()[0]?.err as Record<string, unknown>;
    expect(err).toMatchObject({
      type: 'DockguardError',
      code: 'ELASTICSEARCH_UNAVAILABLE',
      stage: 'runtime',
      retriable: true,
    });
    expect(err.cause).toMatchObject({ type: 'Error', message: 'ECONNREFUSED' });
    expect(String(err.stack)).toContain('logger.test');
  });

  test('log.level from the configuration filters, and a bad level names the setting', () => {
    const out = capture();
    const log = createLogger('collector', { file: 'x.yml', values: { log: { level: 'warn' } } }, out.stream);
    log.info('hidden');
    log.warn('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
    expect(() => createLogger('collector', { file: 'x.yml', values: { log: { level: 'loud' } } })).toThrow(
      /log\.level/,
    );
  });
});
