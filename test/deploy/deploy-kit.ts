/**
 * Helpers for the deployment suites: render docker-compose and kustomize, read the
 * CLI's command list and the configuration sections the services declare, so the
 * manifests are checked against the code as it is today (both grow during the day).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import type { ConfigSection } from '../../pipelines/config/config';

export const ROOT = path.resolve(__dirname, '../..');
export const COMPOSE_DIR = path.join(ROOT, 'deploy/compose');
export const K8S_DIR = path.join(ROOT, 'deploy/k8s');
/** The ops port every service listens on (pipelines/runtime/ops-server.ts default). */
export const OPS_PORT = 9464;

export type Obj = Record<string, unknown>;

export function asObj(v: unknown): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}

export function asArr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// ---------------------------------------------------------------- docker-compose

export function composeBinary(): string | null {
  return which('docker-compose');
}

/** `docker-compose config` with .env.example, as a parsed document; profiles lists extra profiles. */
export function renderCompose(profiles: string[] = []): Obj {
  const bin = composeBinary();
  if (!bin) throw new Error('docker-compose is not installed (apt-get install -y docker-compose)');
  const args = ['--env-file', '.env.example', '-f', 'docker-compose.yml'];
  for (const p of profiles) args.push('--profile', p);
  const r = spawnSync(bin, [...args, 'config'], { cwd: COMPOSE_DIR, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`docker-compose config failed (${r.status}): ${r.stderr}`);
  return asObj(yaml.load(r.stdout));
}

// ---------------------------------------------------------------- kustomize

export const KUSTOMIZE_VERSION = 'v5.7.1';
const CACHE =
  process.env.DOCKGUARD_CACHE ||
  (process.getuid?.() === 0 ? '/var/cache/dockguard' : path.join(process.env.HOME ?? '/tmp', '.cache/dockguard'));

/**
 * A kustomize binary: the cached one, else `go install sigs.k8s.io/kustomize/kustomize/v5`
 * into the cache (about 4 minutes the first time, from the Go module proxy), else
 * `kubectl kustomize`. Returns the command to run, or null with the reason.
 */
export function kustomizeCommand(): { cmd: string[]; how: string } | { cmd: null; how: string } {
  const binDir = path.join(CACHE, 'go-bin');
  const cached = path.join(binDir, 'kustomize');
  if (fs.existsSync(cached)) return { cmd: [cached, 'build'], how: `cached ${cached}` };
  const go = which('go');
  if (go) {
    fs.mkdirSync(binDir, { recursive: true });
    const r = spawnSync(go, ['install', `sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`], {
      env: { ...process.env, GOBIN: binDir, GOFLAGS: '-mod=mod' },
      encoding: 'utf8',
      timeout: 540_000,
    });
    if (r.status === 0 && fs.existsSync(cached)) return { cmd: [cached, 'build'], how: `go install → ${cached}` };
  }
  const kubectl = which('kubectl');
  if (kubectl) return { cmd: [kubectl, 'kustomize'], how: 'kubectl kustomize' };
  return { cmd: null, how: 'no kustomize: go install failed and kubectl is missing' };
}

export function renderKustomize(cmd: string[], dir: string): Obj[] {
  const [bin, ...pre] = cmd;
  const r = spawnSync(bin!, [...pre, dir], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`kustomize build ${dir} failed (${r.status}): ${r.stderr}`);
  return yaml.loadAll(r.stdout).map(asObj);
}

// ---------------------------------------------------------------- the CLI's commands

/**
 * The sub-commands `bin/dockguard help` lists (one or two words), or null when dist/
 * is not built. Read from the built CLI rather than imported, so a module another
 * engineer is still writing cannot break this suite.
 */
export function cliCommands(): Set<string> | null {
  const main = path.join(ROOT, 'dist/pipelines/cli/main.js');
  if (!fs.existsSync(main)) return null;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/dockguard'), 'help'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const out = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*dockguard\s+(.*)$/.exec(line);
    if (!m) continue;
    const words: string[] = [];
    for (const w of m[1]!.split(/\s+/)) {
      if (!/^[a-z][a-z0-9-]*$/.test(w) || words.length === 2) break;
      words.push(w);
    }
    if (words.length) out.add(words.join(' '));
  }
  return out;
}

/** The command an argument vector runs (`setup kafka --config f` → `setup kafka`), or null. */
export function resolveCommand(commands: Set<string>, args: string[]): string | null {
  const [a, b] = args;
  if (a && b && commands.has(`${a} ${b}`)) return `${a} ${b}`;
  if (a && commands.has(a)) return a;
  return null;
}

/** The name a command will likely have (first two words that are not options), for messages. */
export function intendedCommand(args: string[]): string {
  return args
    .slice(0, 2)
    .filter((w) => /^[a-z]/.test(w))
    .join(' ');
}

// ---------------------------------------------------------------- configuration sections

export interface DeclaredSections {
  sections: Map<string, ConfigSection<unknown>>;
  /** Modules declaring sections that could not be loaded (being written): module → error. */
  unloadable: Map<string, string>;
}

/** Every `export const X = defineSection(...)` under pipelines/, loaded. */
export function declaredSections(): DeclaredSections {
  const sections = new Map<string, ConfigSection<unknown>>();
  const unloadable = new Map<string, string>();
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return walk(p);
      return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
    });
  for (const file of walk(path.join(ROOT, 'pipelines'))) {
    const text = fs.readFileSync(file, 'utf8');
    const names = [...text.matchAll(/export const (\w+)\s*=\s*defineSection\b/g)].map((m) => m[1]!);
    if (!names.length) continue;
    let mod: Obj;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require(file) as Obj;
    } catch (e) {
      unloadable.set(path.relative(ROOT, file), (e as Error).message.split('\n')[0] ?? '');
      continue;
    }
    for (const n of names) {
      const s = mod[n] as ConfigSection<unknown> | undefined;
      if (s && typeof s.name === 'string') sections.set(s.name, s);
    }
  }
  return { sections, unloadable };
}
