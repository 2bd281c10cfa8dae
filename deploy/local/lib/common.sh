# shellcheck shell=bash disable=SC2034 # its variables are used by the files that source it
# Shared helpers for deploy/local/services.sh and the per-service scripts.
# Sourced, never run. Progress goes to stderr so that `services.sh env` stays
# clean on stdout.

DL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Downloads survive between runs on one machine; runtime state is throw-away.
if [ "$(id -u)" = 0 ]; then
  : "${DOCKGUARD_CACHE:=/var/cache/dockguard}"
  : "${DOCKGUARD_RUN:=/tmp/dockguard-services}"
else
  : "${DOCKGUARD_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/dockguard}"
  : "${DOCKGUARD_RUN:=/tmp/dockguard-services-$(id -un)}"
fi
export DOCKGUARD_CACHE DOCKGUARD_RUN

# Pinned so that a cold cache resolves the same plugin everywhere (Maven 3.8's
# implicit default is 2.8).
DL_DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.8.1

log() { printf '[services] %s\n' "$*" >&2; }
die() {
  printf '[services] error: %s\n' "$*" >&2
  exit 1
}

now_ms() { date +%s%3N; }
# Seconds with one decimal between two now_ms readings.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

is_root() { [ "$(id -u)" = 0 ]; }

# Java 17 or newer for Kafka 3.9 and Elasticsearch 8.x. JAVA_HOME wins when set.
java_home() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    printf '%s\n' "$JAVA_HOME"
    return
  fi
  local j
  j=$(command -v java) || die "java not found: install a JDK 17 (Debian: openjdk-17-jdk-headless)"
  dirname "$(dirname "$(readlink -f "$j")")"
}

# Maven with its local repository inside the cache, so that an empty
# DOCKGUARD_CACHE is a really cold start and the cache is self-contained.
# One retry: a registry download can fail once.
dl_mvn() {
  local attempt
  for attempt in 1 2; do
    # Maven 3.8 writes colour resets even with -B -q; strip them.
    if mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$DOCKGUARD_CACHE/m2" "$@" 2>&1 |
      sed -e 's/\x1b\[[0-9;]*m//g' -e '/^$/d' >&2; then
      return 0
    fi
    log "mvn failed (attempt $attempt)"
  done
  return 1
}

# pid_alive PIDFILE MARKER: the pid in PIDFILE is running and its command line
# contains MARKER (guards against a recycled pid after a reboot or a crash).
pid_alive() {
  local pidfile=$1 marker=$2 pid
  [ -s "$pidfile" ] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [ -n "$pid" ] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker"
}

read_pid() { tr -dc '0-9' <"$1"; }

# port_open HOST PORT: something accepts TCP connections there.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }

# stop_pid NAME PID TIMEOUT_S: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local name=$1 pid=$2 timeout_s=$3 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$name (pid $pid) did not stop within ${timeout_s}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "$name (pid $pid) still there after SIGKILL"
  return 1
}

# wait_ready NAME TIMEOUT_S LOGFILE ALIVE_FN READY_FN: polls READY_FN until it
# succeeds; fails early when ALIVE_FN says the process died. On failure prints the
# log tail so that CI output says why.
wait_ready() {
  local name=$1 timeout_s=$2 logfile=$3 alive_fn=$4 ready_fn=$5 start
  start=$(date +%s)
  while true; do
    if "$ready_fn"; then
      return 0
    fi
    # Asked twice: just after the launch the child may not have exec'd the
    # server yet, and its command line does not show the marker.
    if ! "$alive_fn" && ! { sleep 1 && "$alive_fn"; }; then
      log "$name exited during start-up; last lines of $logfile:"
      tail -n 60 "$logfile" >&2 2>/dev/null || true
      return 1
    fi
    if (($(date +%s) - start >= timeout_s)); then
      log "$name not ready after ${timeout_s}s; last lines of $logfile:"
      tail -n 60 "$logfile" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.5
  done
}
