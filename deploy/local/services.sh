#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Real local services for dockguard's integration tests: Apache Kafka (KRaft),
# Elasticsearch 8 and a private dockerd. See deploy/local/README.md.
#
#   services.sh start|stop|status|install|env|restart [kafka|elasticsearch|dockerd|all]...
#
# start    installs what is missing (cached in $DOCKGUARD_CACHE), starts the service
#          and waits until it answers; a no-op that exits 0 when it already runs.
# stop     SIGTERM, wait, then SIGKILL.
# status   one line per service; exits 1 if any requested service is down.
# install  downloads and installs only (warms the cache).
# env      KEY=value lines for the test runner: set -a; eval "$(services.sh env)"; set +a
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib/common.sh"
. "$here/kafka/kafka.sh"
. "$here/elasticsearch/elasticsearch.sh"
. "$here/dockerd/dockerd.sh"

ALL=(kafka elasticsearch dockerd)

usage() {
  sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ $# -ge 1 ] || usage
cmd=$1
shift
services=()
for s in "${@:-all}"; do
  case $s in
    all) services+=("${ALL[@]}") ;;
    kafka | elasticsearch | dockerd) services+=("$s") ;;
    es) services+=(elasticsearch) ;;
    docker) services+=(dockerd) ;;
    *) die "unknown service '$s' (kafka, elasticsearch, dockerd or all)" ;;
  esac
done

# Start, stop and install are serialised: two test runners starting the services at
# once must not both format Kafka's storage or both unpack Elasticsearch.
with_lock() {
  mkdir -p "$DOCKGUARD_RUN"
  chmod 755 "$DOCKGUARD_RUN"
  exec 9>"$DOCKGUARD_RUN/.lock"
  flock -w 600 9 || die "another services.sh holds $DOCKGUARD_RUN/.lock"
}

case $cmd in
  install)
    with_lock
    for s in "${services[@]}"; do
      t0=$(now_ms)
      "${s}_install"
      log "$s: installed in $(elapsed "$t0" "$(now_ms)")s"
    done
    ;;
  start)
    with_lock
    t0=$(now_ms)
    for s in "${services[@]}"; do
      "${s}_start"
    done
    log "all requested services ready in $(elapsed "$t0" "$(now_ms)")s"
    ;;
  stop)
    with_lock
    # Reverse order: dockerd first, Kafka last.
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do
      "${services[$i]}_stop"
    done
    ;;
  restart)
    "$0" stop "$@"
    exec "$0" start "$@"
    ;;
  status)
    rc=0
    for s in "${services[@]}"; do
      "${s}_status" || rc=1
    done
    exit "$rc"
    ;;
  env)
    for s in "${services[@]}"; do
      "${s}_env"
    done
    printf 'DOCKGUARD_CACHE=%s\nDOCKGUARD_RUN=%s\n' "$DOCKGUARD_CACHE" "$DOCKGUARD_RUN"
    ;;
  -h | --help | help) usage ;;
  *) die "unknown command '$cmd' (start, stop, status, install, env, restart)" ;;
esac
