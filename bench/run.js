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
// `npm run bench -- state-memory`: bytes of detector state per key (bench/state-memory.ts) instead of throughput
const stateMemory = args[0] === 'state-memory';
// `npm run bench -- indexer`: documents/s into ELASTICSEARCH_URL and CPU per document (bench/indexer-bench.ts)
const indexer = args[0] === 'indexer';
// `npm run bench -- detector`: the whole detector in process and over KAFKA_BROKERS vs decode-only (bench/detector-bench.ts)
const detector = args[0] === 'detector';
// `npm run bench -- authz-latency [--trivial]`: added latency of the authz plugin on two private dockerds (root; bench/authz-latency.ts)
const authzLatency = args[0] === 'authz-latency';
// `npm run bench -- publisher`: audit events/s published to KAFKA_BROKERS with kafkajs and node-rdkafka, one core (bench/publisher-bench.ts)
const publisher = args[0] === 'publisher';
// `npm run bench -- collector-latency [--calls N] [--create-calls N]`: added latency of the proxy collector vs DOCKER_HOST's socket (bench/collector-latency.ts)
const collectorLatency = args[0] === 'collector-latency';
const script = collectorLatency
  ? 'collector-latency.js'
  : publisher
    ? 'publisher-bench.js'
    : authzLatency
      ? 'authz-latency.js'
      : stateMemory
        ? 'state-memory.js'
        : indexer
          ? 'indexer-bench.js'
          : detector
            ? 'detector-bench.js'
            : 'engine-bench.js';
const entry = path.join(root, 'dist', 'bench', script);
const noBuild = args.includes('--no-build');
const passOn = args.filter(
  (a) =>
    a !== '--no-build' &&
    a !== 'state-memory' &&
    a !== 'indexer' &&
    a !== 'detector' &&
    a !== 'authz-latency' &&
    a !== 'publisher' &&
    a !== 'collector-latency',
);

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

const r = spawnSync(process.execPath, ['--expose-gc', entry, ...passOn], { cwd: root, stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
