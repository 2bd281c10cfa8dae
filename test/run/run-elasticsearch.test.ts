/**
 * `dockguard run --replay` with an `elasticsearch` section: every finding of the
 * quick start sample lands in logs-dockguard.findings-<namespace> (once, by its id),
 * and an unreachable cluster is logged, never fatal (exit 0, console and file intact).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { targetName } from '../../pipelines/adapters/elasticsearch-setup';
import { esClient, esUrl, unique } from '../elasticsearch/es-test-kit';
import { skipReason } from '../services/local-services';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'dockguard');
const sample = path.join(root, 'examples/quickstart/recorded-traffic.jsonl');
const built = fs.existsSync(path.join(root, 'dist', 'pipelines', 'cli', 'main.js'));

function replay(config: string, findingsOut: string) {
  return spawnSync(
    process.execPath,
    [bin, 'run', '--replay', sample, '--quiet', '--config', config, '--findings-out', findingsOut],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 90_000,
    },
  );
}

function lines(file: string): Array<{ finding: { id: string } }> {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { finding: { id: string } });
}

(built && esUrl ? describe : describe.skip)(
  esUrl ? 'dockguard run → Elasticsearch' : skipReason('ELASTICSEARCH_URL', 'elasticsearch'),
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-run-es-'));
    const namespace = unique('run');
    const client = esClient();
    afterAll(async () => {
      await client.indices.delete({ index: `${targetName('findings', namespace)}*`, ignore_unavailable: true });
      await client.indices.delete({ index: `${targetName('audit', namespace)}*`, ignore_unavailable: true });
      await client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('indexes every finding once, by its id; a second replay adds none', async () => {
      const config = path.join(dir, 'es.yml');
      fs.writeFileSync(
        config,
        `elasticsearch: { nodes: ['${esUrl}'], replicas: 0 }\nrun: { elasticsearchNamespace: ${namespace} }\n`,
      );
      const out = path.join(dir, 'findings.jsonl');
      const r = replay(config, out);
      expect(r.status).toBe(0);
      const written = lines(out);
      expect(written.length).toBeGreaterThan(0);
      const index = targetName('findings', namespace);
      await client.indices.refresh({ index });
      const ids = (await client.search({ index, size: 1000, _source: false })).hits.hits.map((h) => h._id);
      expect(ids.sort()).toEqual(written.map((f) => f.finding.id).sort());

      expect(replay(config, path.join(dir, 'again.jsonl')).status).toBe(0);
      await client.indices.refresh({ index });
      expect((await client.count({ index })).count).toBe(written.length);
    });

    it('an unreachable cluster is logged; the replay still exits 0 with every finding in the file', () => {
      const config = path.join(dir, 'down.yml');
      fs.writeFileSync(config, `elasticsearch: { nodes: ['http://127.0.0.1:1'], requestTimeoutMs: 1000 }\n`);
      const out = path.join(dir, 'down.jsonl');
      const r = replay(config, out);
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(/elasticsearch/);
      expect(r.stdout).toMatch(/^346 events, (\d+) findings/m);
      expect(lines(out).length).toBe(Number(/^346 events, (\d+) findings/m.exec(r.stdout)![1]));
    });
  },
);
