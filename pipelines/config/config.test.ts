import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDockguardError } from '../../detectors/errors';
import { defineSection, loadConfig, readSection } from './config';

interface Kafka {
  brokers: string[];
  clientId: string;
  producer: { lingerMs: number; idempotent: boolean };
}
const KAFKA = defineSection<Kafka>('kafka', {
  type: 'object',
  additionalProperties: false,
  properties: {
    brokers: { type: 'array', items: { type: 'string' }, minItems: 1, default: ['127.0.0.1:9092'] },
    clientId: { type: 'string', default: 'dockguard' },
    producer: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        lingerMs: { type: 'integer', minimum: 0, default: 5 },
        idempotent: { type: 'boolean', default: true },
      },
    },
  },
});

function tmpFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-config-'));
  const f = path.join(dir, 'dockguard.yml');
  fs.writeFileSync(f, text);
  return f;
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isDockguardError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('expected an error');
}

describe('configuration', () => {
  it('fills defaults when there is no file', () => {
    expect(readSection(loadConfig(null, {}), KAFKA)).toEqual({
      brokers: ['127.0.0.1:9092'],
      clientId: 'dockguard',
      producer: { lingerMs: 5, idempotent: true },
    });
  });

  it('the environment overrides the file, at any depth, with typed values and comma lists', () => {
    const f = tmpFile('kafka:\n  brokers: [a:1]\n  producer:\n    lingerMs: 20\n');
    const raw = loadConfig(f, {
      DOCKGUARD_KAFKA__BROKERS: 'k1:9092, k2:9092',
      DOCKGUARD_KAFKA__PRODUCER__LINGER_MS: '0',
      DOCKGUARD_KAFKA__PRODUCER__IDEMPOTENT: 'false',
      DOCKGUARD_KAFKA__CLIENT_ID: 'a,b stays a string',
      UNRELATED: 'x',
    });
    expect(readSection(raw, KAFKA)).toEqual({
      brokers: ['k1:9092', 'k2:9092'],
      clientId: 'a,b stays a string',
      producer: { lingerMs: 0, idempotent: false },
    });
  });

  it('an environment override finds its setting whatever the word split (CLIENTID, CLIENT_ID)', () => {
    const raw = loadConfig(null, { DOCKGUARD_KAFKA__CLIENTID: 'x', DOCKGUARD_KAFKA__PRODUCER__LINGERMS: '7' });
    const k = readSection(raw, KAFKA);
    expect(k.clientId).toBe('x');
    expect(k.producer.lingerMs).toBe(7);
  });

  it('a bad or unknown setting is CONFIG_INVALID naming the setting', () => {
    const f = tmpFile('kafka:\n  brokers: []\n  producer:\n    lingerMs: -1\n    lingerms: 3\n');
    const msg = errorOf(() => readSection(loadConfig(f, {}), KAFKA));
    expect(msg).toMatch(/^CONFIG_INVALID/);
    expect(msg).toContain('kafka.brokers');
    expect(msg).toContain('kafka.producer.lingerMs');
    expect(msg).toContain('kafka.producer.lingerms: unknown setting');
  });

  it('a file that is not a mapping, or not YAML, or missing, fails with a clear error', () => {
    expect(errorOf(() => loadConfig(tmpFile('- a\n- b\n'), {}))).toMatch(/CONFIG_INVALID.*mapping of sections/);
    expect(errorOf(() => loadConfig(tmpFile('kafka: [\n'), {}))).toMatch(/^CONFIG_INVALID/);
    expect(errorOf(() => loadConfig('/nonexistent/dockguard.yml', {}))).toMatch(/^IO_READ/);
  });

  it('reading a section does not modify the raw configuration', () => {
    const raw = loadConfig(null, {});
    readSection(raw, KAFKA);
    expect(raw.values).toEqual({});
  });
});
