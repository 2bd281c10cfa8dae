import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isDockguardError } from '../../detectors/errors';
import type { RawConfig } from '../config/config';
import { loadDenyPolicy } from './policy-config';

const root = path.resolve(__dirname, '../..');
// a private copy: other rule files under sigma-rules/ change while this suite runs
const rulesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-rules-'));
fs.copyFileSync(
  path.join(root, 'sigma-rules/docker/container-create-host-root-bind.yml'),
  path.join(rulesDir, 'container-create-host-root-bind.yml'),
);
afterAll(() => fs.rmSync(rulesDir, { recursive: true, force: true }));
const raw = (policy: Record<string, unknown>): RawConfig => ({ file: 'dockguard.yml', values: { policy } });

describe('policy configuration section', () => {
  it('defaults to an empty policy that allows every call', () => {
    expect(loadDenyPolicy({ file: null, values: {} }).size).toBe(0);
  });

  it('loads the shipped default policy and Sigma rules selected by id and by tag', () => {
    const p = loadDenyPolicy(
      raw({
        files: [path.join(root, 'deploy/policies/default-deny.yml')],
        sigmaRules: [rulesDir],
        sigmaBlockRules: ['56abf52d-f5bd-49c2-b477-30c53bfdd15d', 'attack.t1611'],
      }),
    );
    // 4 entries + the rule tagged attack.t1611 (also selected by its id: counted once)
    expect(p.size).toBe(5);
  });

  it('fails at startup with CONFIG_INVALID naming the entry and the bad selector', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-policy-'));
    const f = path.join(dir, 'p.yml');
    fs.writeFileSync(
      f,
      'deny:\n  - id: broken\n    message: m\n    detection: { sel: { a|nope: 1 }, condition: sel }\n',
    );
    try {
      loadDenyPolicy(
        raw({
          files: [f, path.join(dir, 'missing.yml')],
          sigmaRules: [rulesDir],
          sigmaBlockRules: ['no-such-rule'],
        }),
      );
      throw new Error('expected a configuration error');
    } catch (e) {
      expect(isDockguardError(e) && e.code).toBe('CONFIG_INVALID');
      const msg = (e as Error).message;
      expect(msg).toContain('3 error(s)');
      expect(msg).toMatch(/p\.yml:4:\d+: error MODIFIER_UNKNOWN: deny entry "broken"/);
      expect(msg).toContain('missing.yml');
      expect(msg).toContain('"no-such-rule" names no detection rule');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('inline entries in the configuration file work like a policy file', () => {
    const p = loadDenyPolicy(raw({ deny: [{ id: 'no-delete', message: 'no', methods: ['DELETE'] }] }));
    expect(p.size).toBe(1);
  });

  it('unknown settings are refused', () => {
    expect(() => loadDenyPolicy(raw({ file: 'x' }))).toThrow(/policy\.file: unknown setting/);
  });
});
