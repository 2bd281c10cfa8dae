// The real docker CLI against a TCP endpoint (the proxy), always under
// `timeout -s KILL`: the CLI forwards SIGTERM to the container, so only KILL
// reliably ends a hung `docker run` (FACTS.md).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface DockerTarget {
  /** tcp://127.0.0.1:<port> */
  host: string;
  /** Directory with ca.pem, cert.pem, key.pem: TLS with a client certificate. */
  tlsDir?: string;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// One empty client configuration per test process: no contexts or credential
// helpers from the machine's ~/.docker leak into a test.
const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockguard-cli-'));

export function dockerEnv(target: DockerTarget): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DOCKER_HOST: target.host,
    DOCKER_CONFIG: configDir,
    DOCKER_CLI_HINTS: 'false',
  };
  if (target.tlsDir) {
    env.DOCKER_TLS_VERIFY = '1';
    env.DOCKER_CERT_PATH = target.tlsDir;
  }
  return env;
}

function runKilled(argv: string[], env: NodeJS.ProcessEnv, input: string | undefined, timeoutSec: number) {
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn('timeout', ['-s', 'KILL', String(timeoutSec), ...argv], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** `docker <args>` with stdin `input` (closed at once when absent). */
export function docker(target: DockerTarget, args: string[], input?: string, timeoutSec = 60): Promise<CliResult> {
  return runKilled(['docker', ...args], dockerEnv(target), input, timeoutSec);
}

/** A shell line with docker pipes (`docker save x | docker load`), same environment. */
export function dockerShell(target: DockerTarget, script: string, timeoutSec = 90): Promise<CliResult> {
  return runKilled(['sh', '-c', script], dockerEnv(target), undefined, timeoutSec);
}

/** `docker <args>` with a pseudo-terminal (util-linux `script`), for `exec -it`; stdin is typed into it. */
export function dockerTty(target: DockerTarget, args: string[], input: string, timeoutSec = 60): Promise<CliResult> {
  const quoted = ['docker', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return runKilled(['script', '-qec', quoted, '/dev/null'], dockerEnv(target), input, timeoutSec);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
