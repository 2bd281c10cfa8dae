#!/usr/bin/env bash
# The one test command (`npm test`): type-check, lint, format check, every jest
# suite (unit, integration, conformance) and the rule pack's own tests. It starts
# the real services the integration suites need (deploy/local/: Kafka, Elasticsearch,
# dockerd); set DOCKGUARD_SERVICES=none to run without them (those suites then skip
# with a message).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== build"
npm run build  # the CLI suites run bin/dockguard on dist/

echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== lint"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }

services=${DOCKGUARD_SERVICES:-all}
if [ "$services" != none ]; then
  echo "== services ($services)"
  # a no-op when they already run (deploy/local/README.md)
  # shellcheck disable=SC2086
  deploy/local/services.sh start $services
  # shellcheck disable=SC2086
  set -a; eval "$(deploy/local/services.sh env $services)"; set +a
fi

echo "== rule tests"
bin/dockguard rules test sigma-rules
echo "== jest"
npx jest --ci
