#!/usr/bin/env bash
# Docker for loadgate's container tests on a fresh Debian machine, idempotent and quick when done:
#   - Debian's docker.io (Engine 20.10 with its built-in BuildKit) and debootstrap;
#   - Compose v2, built once from the Go module proxy (Debian ships only Compose v1);
#   - dockerd started when none answers: host networking only (no bridge, no iptables);
#   - the local base images, built from Debian packages because no registry is reachable, each
#     cached and keyed by its recipe (a second run skips it).
#
#   scripts/setup-docker.sh              # all of the above
#   scripts/setup-docker.sh --base-tag python|services   # print a base's tag (builds it if missing)
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER=/usr/bin/docker   # Debian's CLI: its `docker build` speaks to the engine's BuildKit
COMPOSE_VERSION=v2.29.7
cache_dir=${LOADGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loadgate}
plugin_dir=/usr/local/lib/docker/cli-plugins
log() { echo "setup-docker: $*" >&2; }

install_packages() {
  local need=()
  [ -x "$DOCKER" ] && command -v dockerd >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
  [ ${#need[@]} -eq 0 ] && return
  log "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

install_compose() {
  local bin="$cache_dir/docker-compose-$COMPOSE_VERSION"
  if [ ! -x "$bin" ]; then
    log "building Compose $COMPOSE_VERSION from the Go module proxy (first time only, about 2 minutes)"
    mkdir -p "$cache_dir"
    local gobin; gobin=$(mktemp -d)
    GOBIN="$gobin" CGO_ENABLED=0 nice -n 19 go install -trimpath \
      -ldflags="-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
      "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION"
    mv "$gobin/cmd" "$bin" && rmdir "$gobin"
  fi
  mkdir -p "$plugin_dir"
  ln -sf "$bin" "$plugin_dir/docker-compose"
}

start_dockerd() {
  "$DOCKER" info >/dev/null 2>&1 && return
  log "starting dockerd (host networking only; log in $cache_dir/dockerd.log)"
  mkdir -p "$cache_dir"
  setsid dockerd --iptables=false --ip6tables=false --bridge=none >"$cache_dir/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 60); do
    "$DOCKER" info >/dev/null 2>&1 && return
    sleep 1
  done
  log "dockerd did not answer within 60 s; its log:"; tail -20 "$cache_dir/dockerd.log" >&2; exit 1
}

# A base's recipe: what debootstrap installs. Its hash (with this script's trimming below) is the tag.
recipe() {
  case "$1" in
    python)   echo "bookworm minbase python3 python3-venv" ;;   # Python 3.11, like python:3.11-slim
    services) echo "bookworm minbase redis-server" ;;            # Redis; FerretDB's image adds its binary
    *) log "unknown base: $1 (python or services)"; exit 2 ;;
  esac
}
TRIM="var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/*"

# The Debian mirror this machine's apt already uses (deb822 sources or a classic sources.list).
debian_mirror() {
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n 1)
  [ -n "$uri" ] || uri=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v security | head -n 1)
  [ -n "$uri" ] || { log "no Debian mirror found in /etc/apt/sources.list(.d)"; exit 1; }
  echo "$uri"
}

base_tag() {
  local key; key=$( (recipe "$1"; echo "$TRIM") | sha256sum | cut -c1-12)
  echo "loadgate-base/$1:bookworm-$key"
}

build_base() {
  local name=$1 tag; tag=$(base_tag "$name")
  "$DOCKER" image inspect "$tag" >/dev/null 2>&1 && return
  local tarball="$cache_dir/bases/${tag//[\/:]/_}.tar"
  if [ ! -f "$tarball" ]; then
    read -r suite variant packages <<<"$(recipe "$name")"
    log "building base $tag with debootstrap (first time only, 1-2 minutes)"
    mkdir -p "$cache_dir/bases"
    local root; root=$(mktemp -d)
    nice -n 19 debootstrap --variant="$variant" --include="${packages// /,}" "$suite" "$root" \
      "$(debian_mirror)" >"$cache_dir/bases/debootstrap-$name.log" 2>&1 \
      || { tail -20 "$cache_dir/bases/debootstrap-$name.log" >&2; rm -rf "$root"; exit 1; }
    (cd "$root" && eval rm -rf "$TRIM")
    tar -C "$root" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
  fi
  "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' \
    "$tarball" "$tag" >/dev/null
}

if [ "${1:-}" = "--base-tag" ]; then
  start_dockerd; build_base "$2"; base_tag "$2"; exit 0
fi
install_packages
install_compose
start_dockerd
build_base python
build_base services
