/**
 * The intel and baseline file adapters on a real filesystem: loading, reload on
 * change through fs.watch, and the rule that a bad file never replaces a good one.
 * Each test works in its own temporary directory.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BaselineFiles, readBaselineFiles } from '../../pipelines/adapters/baseline-files';
import { IntelFiles, loadIntelFiles, type IntelLoad } from '../../pipelines/adapters/intel-files';
import { loadConfig } from '../../pipelines/config/config';
import { readDetectorConfig } from '../../pipelines/detector/detector-config';
import { watchDetectorSets, type LoadedSets } from '../../pipelines/detector/detector-sets';

const ROOT = path.resolve(__dirname, '../..');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-files-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function waitFor<T>(get: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = get();
      if (v !== undefined) return resolve(v);
      if (Date.now() > end) return reject(new Error('timed out'));
      setTimeout(tick, 25);
    };
    tick();
  });
}

describe('intel files', () => {
  it('loads the shipped samples: every format, no errors', () => {
    const load = loadIntelFiles([path.join(ROOT, 'sigma-rules/intel')]);
    expect(load.errors.filter((e) => e.severity === 'error')).toEqual([]);
    expect(load.files).toBe(3);
    expect(load.set.matchIp('203.0.113.7')?.source).toBe('dockguard-sample');
    expect(load.set.matchDomain('eu.pool.miner.example')).toBeDefined();
    expect(load.set.matchUrl('http://dropper.example/m.sh')?.type).toBe('url');
    expect(load.set.matchIp('192.0.2.66')).toBeDefined(); // from the STIX bundle's OR
  });

  it('reloads on change; a file that turns bad keeps its previous indicators and reports why', async () => {
    const csv = path.join(dir, 'feed.csv');
    fs.writeFileSync(csv, 'ip,192.0.2.1\n');
    fs.writeFileSync(path.join(dir, 'domains.txt'), 'a.example\n');
    const files = new IntelFiles([dir]);
    expect(files.current.set.size).toBe(2);
    const loads: IntelLoad[] = [];
    files.watch((l) => loads.push(l), 50);
    try {
      fs.writeFileSync(csv, 'ip,192.0.2.1\nip,192.0.2.2\n');
      const grown = await waitFor(() => loads.find((l) => l.set.matchIp('192.0.2.2') !== undefined));
      expect(grown.errors).toEqual([]);
      const n = loads.length;
      fs.writeFileSync(csv, 'ip,192.0.2.1\nip,not-an-address\n');
      const bad = await waitFor(() => loads.slice(n).find((l) => l.errors.length > 0));
      expect(bad.errors[0]?.code).toBe('INTEL_FILE_INVALID');
      expect(bad.set.matchIp('192.0.2.2')).toBeDefined(); // the last good version of feed.csv
      expect(bad.set.matchDomain('a.example')).toBeDefined();
    } finally {
      files.close();
    }
  });

  it('a file of unknown list type is reported, the others still load', () => {
    fs.writeFileSync(path.join(dir, 'stuff.txt'), '192.0.2.1\n');
    fs.writeFileSync(path.join(dir, 'ips.txt'), '192.0.2.9\n');
    const load = loadIntelFiles([dir]);
    expect(load.errors.map((e) => e.code)).toEqual(['INTEL_FILE_INVALID']);
    expect(load.set.matchIp('192.0.2.9')).toBeDefined();
    expect(loadIntelFiles([dir], { listTypes: { 'stuff.txt': 'ip' } }).set.matchIp('192.0.2.1')).toBeDefined();
  });
});

describe('baseline files', () => {
  const good = 'id: b\ntitle: B\nkind: rate\nkey: [client]\n';

  it('loads the shipped baselines without errors', () => {
    const r = readBaselineFiles([path.join(ROOT, 'sigma-rules/baselines')]);
    expect(r.errors).toEqual([]);
    expect(r.defs.map((d) => d.kind).sort()).toEqual([
      'first_seen',
      'first_seen',
      'geography',
      'rate',
      'time_of_access',
    ]);
  });

  it('reloads on change and keeps the previous definitions while a file is broken', async () => {
    const f = path.join(dir, 'b.yml');
    fs.writeFileSync(f, good);
    const files = new BaselineFiles([dir]);
    expect(files.defs.map((d) => d.id)).toEqual(['b']);
    const seen: string[][] = [];
    files.watch((defs, errors) => seen.push([...defs.map((d) => d.title), ...errors.map((e) => e.code)]), 50);
    try {
      fs.writeFileSync(f, good.replace('kind: rate', 'kind: nope'));
      await waitFor(() => seen.find((s) => s.includes('BASELINE_CONFIG_INVALID')));
      expect(files.defs.map((d) => d.title)).toEqual(['B']);
      fs.writeFileSync(f, good.replace('title: B', 'title: B2'));
      await waitFor(() => seen.find((s) => s.includes('B2')));
      expect(files.defs.map((d) => d.title)).toEqual(['B2']);
    } finally {
      files.close();
    }
  });
});

describe('detector sets', () => {
  it('a rule changed in a sub-directory of the rules directory reloads the sets; a broken one yields no set', async () => {
    const rules = path.join(dir, 'rules', 'docker');
    fs.mkdirSync(rules, { recursive: true });
    const rule = (title: string) =>
      `title: ${title}\nlogsource: {product: docker, service: engine_api}\ndetection:\n  sel: {dockguard.endpoint: /info}\n  condition: sel\nlevel: low\n`;
    fs.writeFileSync(path.join(rules, 'a.yml'), rule('First'));
    const cfg = {
      ...readDetectorConfig(loadConfig(null, {})),
      rules: [path.join(dir, 'rules')],
      baselines: [],
      intel: [],
    };
    const loads: LoadedSets[] = [];
    const errors: Error[] = [];
    const watcher = watchDetectorSets(
      cfg,
      (l) => loads.push(l),
      (e) => errors.push(e),
      50,
    );
    try {
      fs.writeFileSync(path.join(rules, 'a.yml'), rule('Second'));
      const good = await waitFor(() =>
        loads.find((l) => l.sets?.rules.ruleSet.rules.some((r) => r.title === 'Second')),
      );
      expect(good.errorCount).toBe(0);
      fs.writeFileSync(path.join(rules, 'a.yml'), 'title: [broken\n');
      const bad = await waitFor(() => loads.find((l) => l.errorCount > 0));
      expect(bad.sets).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      watcher.close();
    }
  });
});
