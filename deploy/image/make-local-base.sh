#!/usr/bin/env bash
# Builds a Node.js 20 base image from THIS machine, for places where no registry is
# reachable (this VM, air-gapped build hosts): the host's `node` binary, the shared
# libraries `ldd` lists for it (and for /usr/bin/env, which bin/dockguard's shebang
# needs), CA certificates, and /etc/passwd and /etc/group stubs with the image's
# non-root user (10001). Nothing else: no shell, no package manager, so the
# runtime image built on it has nothing an intruder could use either.
#
#   deploy/image/make-local-base.sh [TAG]        # default dockguard-local/node:20
#
# The base is then used by deploy/image/build-local.sh (or by hand):
#   docker build --build-arg BASE=dockguard-local/node:20 --build-arg PREBUILT=1 ...
# Needs: docker CLI talking to a dockerd (DOCKER_HOST), node 20 on PATH, ldd, tar.
set -euo pipefail

tag=${1:-dockguard-local/node:20}
docker=${DOCKER:-docker}
node_bin=$(command -v node)
node_bin=$(readlink -f "$node_bin")
major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
if [ "$major" != 20 ]; then
  echo "make-local-base: the host node is $("$node_bin" --version), the image wants Node 20" >&2
  exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/dockguard-base.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root" # mktemp makes it 0700: the image root would be unreadable for 10001

copy_with_libs() {
  local bin=$1 dest=$2
  install -D -m 0755 "$bin" "$root$dest"
  # `ldd` prints `name => /path (addr)` and the loader as `/lib64/ld-linux… (addr)`;
  # copy each library to the same path so the loader finds it without ldconfig.
  ldd "$bin" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
    [ -e "$root$lib" ] && continue
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
}

copy_with_libs "$node_bin" /usr/local/bin/node
copy_with_libs "$(readlink -f /usr/bin/env)" /usr/bin/env

mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/app"
chmod 1777 "$root/tmp"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
else
  echo "make-local-base: /etc/ssl/certs/ca-certificates.crt is missing: TLS to Kafka/Elasticsearch will need ssl.ca settings" >&2
fi
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
dockguard:x:10001:10001:dockguard:/app:/sbin/nologin
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
dockguard:x:10001:
GROUP
# glibc resolves names through nsswitch; without it service names (kafka, elasticsearch) still
# resolve on glibc ≥ 2.34, but say so explicitly.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"

tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
  "$docker" import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV NODE_VERSION='"$("$node_bin" -p process.versions.node)" \
    --change 'USER 10001:10001' \
    --change 'WORKDIR /app' \
    --change 'CMD ["node"]' \
    - "$tag" >/dev/null
echo "make-local-base: $tag (node $("$node_bin" --version), $(du -sh "$root" | cut -f1) unpacked)"
