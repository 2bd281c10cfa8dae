#!/usr/bin/env bash
# The one test command (`npm test`): type-check, lint, format check, every jest
# suite (unit and integration) and the rule pack's own tests. It starts whatever
# services the suites need; today none are needed beyond Node.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -f dist/pipelines/cli/main.js ] || npm run build

echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== lint"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "== jest"
npx jest --ci
echo "== rule tests"
bin/dockguard rules test sigma-rules
