/**
 * The CLI as a user runs it: bin/dockguard on the compiled dist/ (test/run-all.sh
 * builds it first), with its exit codes, stdout and stderr.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'bin', 'dockguard');
const built = fs.existsSync(path.join(root, 'dist', 'pipelines', 'cli', 'main.js'));
if (!built) console.warn('dist/ is not built: run `npm run build`; CLI tests skipped');
const describeCli = built ? describe : describe.skip;

function run(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-cli-'));
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

describeCli('bin/dockguard', () => {
  it('match: finds the seed campaign in the bundled events, one JSON object per line', () => {
    const r = run(['match', '--rules', 'sigma-rules', '--events', 'examples/events/seed-attack.jsonl']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l['event'] === 4).map((l) => l['level'])).toEqual(['high', 'high', 'high']);
    const corr = lines.find((l) => 'group' in l);
    expect(corr).toMatchObject({ event: 5, group: { 'source.ip': '203.0.113.7' }, events: [3, 4, 5] });
  });

  it('match: reports malformed lines with their number and goes on', () => {
    const events =
      '{"a":1}\nnot json\n[1]\n\n{"dockguard":{"endpoint":"/containers/create","container":{"binds":["/:/mnt"]}}}\n';
    const r = run(['match', '--rules', 'sigma-rules', '--events', '-'], events);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('-:2: skipped malformed event');
    expect(r.stderr).toContain('-:3: skipped malformed event: not a JSON object');
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ event: 4, rule_id: '56abf52d-f5bd-49c2-b477-30c53bfdd15d' });
  });

  it('match: a missing events file or rules directory is an error, exit 2', () => {
    const a = run(['match', '--rules', 'sigma-rules', '--events', '/nonexistent/events.jsonl']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/IO_READ: cannot read events from \/nonexistent\/events.jsonl/);
    const b = run(['match', '--rules', '/nonexistent', '--events', 'examples/events/seed-attack.jsonl']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('IO_READ');
  });

  it('match: a rule error stops the run before any event, exit 2', () => {
    const bad = tmpFile(
      'bad.yml',
      'title: bad\nlogsource: {product: docker}\ndetection:\n  sel:\n    Image|contain: x\n  condition: sel\n',
    );
    const r = run(['match', '--rules', bad, '--events', 'examples/events/seed-attack.jsonl']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${bad}:5:5: error MODIFIER_UNKNOWN`);
  });

  it('rules lint: every problem with file:line:column and a code, exit 1', () => {
    const bad = tmpFile(
      'bad.yml',
      'title: bad\nlogsource: {product: docker}\ndetection:\n  sel:\n    Image|contain: x\n    Cmd|re: "(a)\\\\1"\n  condition: sel and selction\n',
    );
    const r = run(['rules', 'lint', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:5:5: error MODIFIER_UNKNOWN`);
    expect(r.stderr).toContain(`${bad}:6:5: error REGEX_INVALID`);
    expect(r.stderr).toContain(`${bad}:7:3: error CONDITION_UNKNOWN_IDENTIFIER`);
    expect(r.stdout).toContain('3 errors');
  });

  it('rules lint and rules test pass on the bundled rule pack', () => {
    expect(run(['rules', 'lint', 'sigma-rules']).code).toBe(0);
    const t = run(['rules', 'test', 'sigma-rules']);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/rule-tests: \d+ passed, 0 failed/);
  });

  it('rules test: a case that fails is reported with its line, exit 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-cli-'));
    fs.copyFileSync(path.join(root, 'sigma-rules/docker/container-create-host-root-bind.yml'), path.join(dir, 'r.yml'));
    fs.writeFileSync(
      path.join(dir, 'r.test.yml'),
      'rules: [r.yml]\ncases:\n  - name: wrong expectation\n    event: {dockguard: {endpoint: /containers/create, container: {binds: ["/:/mnt"]}}}\n    expect: []\n',
    );
    const r = run(['rules', 'test', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL .*r\.test\.yml:3: wrong expectation: matched but not expected/);
    expect(r.stdout).toContain('rule-tests: 0 passed, 1 failed');
  });

  it('unknown commands and missing options exit 2 with the usage', () => {
    expect(run(['bogus']).code).toBe(2);
    const r = run(['match', '--rules', 'sigma-rules']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--rules and --events are required');
  });

  it('npm start: replays the quick start sample with dockguard run and prints the seed attack', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const [cmd, ...args] = pkg.scripts.start.split(' ');
    expect(cmd).toBe('bin/dockguard');
    expect(args.slice(0, 2)).toEqual(['run', '--replay']);
    const r = run(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/HIGH {5}Container Created With The Host Root Filesystem Mounted Writable/);
    expect(r.stdout).toMatch(/127\.0\.0\.66 POST \/containers\/create +dockguard\.container\.binds=\/:\/mnt/);
    expect(r.stdout).toMatch(/^\d+ events, \d+ findings \(critical \d+, high \d+/m);
  });
});
