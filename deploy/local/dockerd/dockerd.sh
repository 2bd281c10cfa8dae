# shellcheck shell=bash
# A private dockerd (Debian's docker.io) for the tests: its own socket, data root,
# exec root, pid file, config file and containerd namespace, so a system dockerd on
# the same machine is neither used nor disturbed. No registry is reachable, so the
# test image is imported from a rootfs made of Debian's busybox-static and tagged
# alpine:latest too (the seed attack in examples/ pulls alpine). Sourced by
# services.sh; needs root.

: "${DOCKGUARD_TEST_IMAGE:=dockguard-test/busybox:latest}"
# Extra dockerd flags, e.g. --authorization-plugin=NAME for the authz tests.
: "${DOCKGUARD_DOCKERD_ARGS:=}"

DOCKER_RUN=$DOCKGUARD_RUN/docker
DOCKER_SOCK=$DOCKER_RUN/docker.sock
DOCKER_PIDFILE=$DOCKER_RUN/dockerd.pid
# The pid of the process we launched, until dockerd writes DOCKER_PIDFILE itself
# (dockerd refuses to start if its pid file names a live process, even its own).
DOCKER_LAUNCH_PIDFILE=$DOCKER_RUN/dockerd.launch.pid
DOCKER_LOG=$DOCKER_RUN/dockerd.log
# Unix socket paths are limited to 108 bytes and dockerd puts sockets several
# levels below its exec root (plugins/<64-hex id>/...), so the exec root must be
# short whatever DOCKGUARD_RUN is: /tmp/dgx-<checksum of DOCKGUARD_RUN>.
: "${DOCKGUARD_DOCKER_EXEC_ROOT:=/tmp/dgx-$(printf '%s' "$DOCKGUARD_RUN" | cksum | cut -d' ' -f1)}"
DOCKER_EXEC=$DOCKGUARD_DOCKER_EXEC_ROOT
DOCKER_HOST_URL=unix://$DOCKER_SOCK

# The client that came with dockerd, so that both speak the same API version
# (another docker CLI may come first on PATH).
docker_cli_path() {
  local d
  d=$(command -v dockerd 2>/dev/null || true)
  if [ -n "$d" ] && [ -x "$(dirname "$d")/docker" ]; then
    printf '%s\n' "$(dirname "$d")/docker"
  elif [ -x /usr/bin/docker ]; then
    printf '%s\n' /usr/bin/docker
  else
    command -v docker || echo docker
  fi
}

docker_cli() { "$(docker_cli_path)" -H "$DOCKER_HOST_URL" "$@"; }

busybox_static_installed() {
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' && [ -x /bin/busybox ]
}

dockerd_install() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  # The static build: the image has no libc for a dynamic one to load.
  busybox_static_installed || need+=(busybox-static)
  [ ${#need[@]} -eq 0 ] && return 0
  is_root || die "dockerd: need ${need[*]} (apt-get install -y ${need[*]} as root)"
  mkdir -p "$DOCKER_RUN"
  local aptlog=$DOCKER_RUN/apt.log
  log "dockerd: installing ${need[*]} from Debian (log: $aptlog)"
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; } >"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2
    die "apt-get install ${need[*]} failed"
  fi
}

dockerd_running() {
  pid_alive "$DOCKER_PIDFILE" "$DOCKER_SOCK" || pid_alive "$DOCKER_LAUNCH_PIDFILE" "$DOCKER_SOCK"
}

dockerd_pid() {
  if pid_alive "$DOCKER_PIDFILE" "$DOCKER_SOCK"; then read_pid "$DOCKER_PIDFILE"; else read_pid "$DOCKER_LAUNCH_PIDFILE"; fi
}

dockerd_ready() { timeout 5 "$(docker_cli_path)" -H "$DOCKER_HOST_URL" version >/dev/null 2>&1; }

# The test image: busybox with a symlink per applet, /etc/passwd and /tmp.
dockerd_ensure_images() {
  if ! docker_cli image inspect "$DOCKGUARD_TEST_IMAGE" >/dev/null 2>&1; then
    local rootfs applet
    rootfs=$(mktemp -d "$DOCKER_RUN/rootfs.XXXXXX")
    mkdir -p "$rootfs"/{bin,sbin,etc,tmp,proc,sys,dev,root,var,usr/bin,usr/sbin}
    cp /bin/busybox "$rootfs/bin/busybox"
    for applet in $(/bin/busybox --list); do
      [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
    chmod 1777 "$rootfs/tmp"
    tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . |
      docker_cli import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -m "busybox-static rootfs for dockguard tests" - "$DOCKGUARD_TEST_IMAGE" >/dev/null
    rm -rf "$rootfs"
    log "dockerd: imported $DOCKGUARD_TEST_IMAGE"
  fi
  local tag
  for tag in alpine:latest busybox:latest; do
    docker_cli image inspect "$tag" >/dev/null 2>&1 || docker_cli tag "$DOCKGUARD_TEST_IMAGE" "$tag"
  done
}

dockerd_start() {
  local t0 t1 t2
  t0=$(now_ms)
  if dockerd_running; then
    log "dockerd: already running (pid $(dockerd_pid)) on $DOCKER_HOST_URL"
    # Cheap, and repairs a daemon whose first start was interrupted before this.
    dockerd_ensure_images
    return 0
  fi
  is_root || die "dockerd: must run as root (CI does)"
  dockerd_install
  t1=$(now_ms)
  mkdir -p "$DOCKER_RUN/data" "$DOCKER_EXEC"
  # Our own (empty) config file: a system /etc/docker/daemon.json must not clash
  # with the flags below.
  [ -f "$DOCKER_RUN/daemon.json" ] || echo '{}' >"$DOCKER_RUN/daemon.json"
  rm -f "$DOCKER_SOCK" "$DOCKER_PIDFILE" "$DOCKER_LAUNCH_PIDFILE"
  log "dockerd: starting on $DOCKER_HOST_URL (data $DOCKER_RUN/data, exec root $DOCKER_EXEC)"
  # No bridge and no iptables: this machine has no network to give containers, and
  # a test daemon must not rewrite the host's firewall. vfs works on any file
  # system (overlay on overlay does not). The containerd namespaces keep our
  # containers apart if dockerd attaches to a system containerd.
  # shellcheck disable=SC2086 # DOCKGUARD_DOCKERD_ARGS is a list of flags
  setsid nohup dockerd \
    --host "$DOCKER_HOST_URL" \
    --data-root "$DOCKER_RUN/data" \
    --exec-root "$DOCKER_EXEC" \
    --pidfile "$DOCKER_PIDFILE" \
    --config-file "$DOCKER_RUN/daemon.json" \
    --containerd-namespace dockguard \
    --containerd-plugins-namespace dockguard-plugins \
    --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs \
    $DOCKGUARD_DOCKERD_ARGS >>"$DOCKER_LOG" 2>&1 </dev/null 9>&- &
  echo $! >"$DOCKER_LAUNCH_PIDFILE"
  if ! wait_ready dockerd 60 "$DOCKER_LOG" dockerd_running dockerd_ready; then
    dockerd_stop
    return 1
  fi
  dockerd_ensure_images
  t2=$(now_ms)
  log "dockerd: ready on $DOCKER_HOST_URL in $(elapsed "$t0" "$t2")s (install $(elapsed "$t0" "$t1")s, start $(elapsed "$t1" "$t2")s)"
}

dockerd_stop() {
  if dockerd_running; then
    log "dockerd: stopping (pid $(dockerd_pid))"
    # dockerd gives running containers 15 s to stop, then stops its containerd.
    stop_pid dockerd "$(dockerd_pid)" 45
  else
    log "dockerd: not running"
  fi
  # After a SIGKILL the containerd that dockerd started lives on; end it too.
  local cpid=$DOCKER_EXEC/containerd/containerd.pid
  if pid_alive "$cpid" "$DOCKER_EXEC"; then
    log "dockerd: stopping its leftover containerd (pid $(read_pid "$cpid"))"
    stop_pid containerd "$(read_pid "$cpid")" 15
  fi
  # dockerd bind-mounts its data root (and containers' /dev/shm) and undoes it on a
  # clean exit; after a SIGKILL the mounts stay, and `rm -rf $DOCKGUARD_RUN` would
  # then reach through them. Deepest first.
  local m
  findmnt -rn -o TARGET 2>/dev/null |
    awk -v a="$DOCKER_RUN/data" -v b="$DOCKER_EXEC" \
      '$0 == a || index($0, a "/") == 1 || $0 == b || index($0, b "/") == 1' |
    sort -r | while read -r m; do
    log "dockerd: unmounting leftover $m"
    umount -l "$m" || true
  done
  rm -f "$DOCKER_PIDFILE" "$DOCKER_LAUNCH_PIDFILE" "$DOCKER_SOCK"
}

dockerd_status() {
  if dockerd_running && dockerd_ready; then
    printf '%-14s %-8s DOCKER_HOST=%s pid=%s\n' dockerd running "$DOCKER_HOST_URL" "$(dockerd_pid)"
    return 0
  fi
  printf '%-14s %-8s DOCKER_HOST=%s\n' dockerd stopped "$DOCKER_HOST_URL"
  return 1
}

dockerd_env() {
  printf 'DOCKER_HOST=%s\n' "$DOCKER_HOST_URL"
  printf 'DOCKGUARD_TEST_IMAGE=%s\n' "$DOCKGUARD_TEST_IMAGE"
}
