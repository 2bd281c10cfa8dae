#!/usr/bin/env bash
# Builds the dockguard image without any registry (this VM, air-gapped hosts):
#   1. the base image from the host's node (make-local-base.sh), unless it exists;
#   2. dist/ compiled on the host, and production node_modules installed on the host
#      (npm ci --omit=dev into a scratch folder; npm's cache makes it fast), staged in
#      deploy/image/.prebuilt/;
#   3. docker build with BASE=<local base> PREBUILT=1 (BuildKit, --network none).
#
#   deploy/image/build-local.sh [TAG]     # default dockguard:local
# Environment: DOCKER (docker CLI, default docker), DOCKGUARD_LOCAL_BASE
# (default dockguard-local/node:20), REBUILD_BASE=1 to remake the base, COMPILE=0 to take
# dist/ as it is (npm test has just built it).
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-dockguard:local}
docker=${DOCKER:-docker}
base=${DOCKGUARD_LOCAL_BASE:-dockguard-local/node:20}
stage=deploy/image/.prebuilt

if [ "${REBUILD_BASE:-0}" = 1 ] || ! "$docker" image inspect "$base" >/dev/null 2>&1; then
  DOCKER=$docker deploy/image/make-local-base.sh "$base"
fi

t0=$(date +%s)
if [ "${COMPILE:-1}" = 1 ]; then npx tsc -p tsconfig.build.json; fi
[ -f dist/pipelines/cli/main.js ] || { echo "build-local: dist/ is missing; run npm run build" >&2; exit 1; }
# Production dependencies, keyed by the lock file: reinstalled only when it changes.
lock_sum=$(cat package.json package-lock.json | sha256sum | cut -c1-16)
if [ "$(cat "$stage/.lock-sum" 2>/dev/null)" != "$lock_sum" ]; then
  rm -rf "$stage" && mkdir -p "$stage"
  cp package.json package-lock.json "$stage/"
  (cd "$stage" && npm ci --omit=dev --omit=optional --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error)
  rm "$stage/package.json" "$stage/package-lock.json"
  echo "$lock_sum" >"$stage/.lock-sum"
fi
rm -rf "$stage/dist" && cp -r dist "$stage/dist"
t1=$(date +%s)

DOCKER_BUILDKIT=1 "$docker" build --network none --progress plain \
  --build-arg BASE="$base" --build-arg PREBUILT=1 -t "$tag" . >&2
t2=$(date +%s)
size=$("$docker" image inspect -f '{{.Size}}' "$tag")
echo "build-local: $tag $((size / 1024 / 1024)) MiB; staging $((t1 - t0)) s, docker build $((t2 - t1)) s"
