#!/usr/bin/env node
/**
 * `npm run bench`: compiles the benchmark (bench/tsconfig.json → dist/bench/,
 * with the engine modules it imports) and runs the compiled JavaScript with
 * --expose-gc, so the numbers come from plain `node`, not from an on-the-fly
 * TypeScript loader. Arguments are passed on (see bench/engine-bench.ts), e.g.
 *   npm run bench -- --quick
 *   npm run bench -- --only 3
 * --no-build skips the compile step when dist/bench/engine-bench.js exists.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
/**
 * Scenarios by name (`npm run bench -- <name> [options]`); no name runs the engine's,
 * `all` runs every one in turn (those that need a service say so and skip without it).
 *   state-memory       bytes of detector state per tracked key (bench/state-memory.ts)
 *   detector           the detector in process and over KAFKA_BROKERS vs decode-only (bench/detector-bench.ts)
 *   publisher          audit events/s to KAFKA_BROKERS, kafkajs and node-rdkafka, one core (bench/publisher-bench.ts)
 *   collector-latency  added latency of the proxy collector vs DOCKER_HOST's socket (bench/collector-latency.ts)
 *   authz-latency      added latency of the authz plugin on two private dockerds, root (bench/authz-latency.ts)
 *   indexer            documents/s into ELASTICSEARCH_URL and CPU per document (bench/indexer-bench.ts)
 */
const SCENARIOS = {
  engine: 'engine-bench.js',
  'state-memory': 'state-memory.js',
  detector: 'detector-bench.js',
  publisher: 'publisher-bench.js',
  'collector-latency': 'collector-latency.js',
  'authz-latency': 'authz-latency.js',
  indexer: 'indexer-bench.js',
};
const named = args[0] !== undefined && (args[0] in SCENARIOS || args[0] === 'all') ? args[0] : null;
const scripts = named === 'all' ? Object.values(SCENARIOS) : [SCENARIOS[named ?? 'engine']];
const entry = path.join(root, 'dist', 'bench', scripts[0]);
const noBuild = args.includes('--no-build');
const passOn = args.filter((a) => a !== '--no-build' && a !== named);

if (!(noBuild && fs.existsSync(entry))) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  process.stdout.write('building the benchmark (tsc -p bench/tsconfig.json)…\n');
  const b = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'tsconfig.json')], {
    cwd: root,
    stdio: 'inherit',
  });
  if (b.status !== 0) {
    process.stderr.write(`bench: compile failed (exit ${b.status})\n`);
    process.exit(b.status || 1);
  }
}

let failed = 0;
for (const script of scripts) {
  if (scripts.length > 1) process.stdout.write(`\n=== ${script.replace(/\.js$/, '')}\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(root, 'dist', 'bench', script), ...passOn], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
