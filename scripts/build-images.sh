#!/usr/bin/env bash
# Builds loadgate's images with the local Docker engine and prints their tags, one a line:
#   loadgate-api:<version>              Dockerfile: `loadgate serve`, the api extra only
#   loadgate-harness:<version>          Dockerfile.harness: master, workers, reports, notebooks, scenarios
#   loadgate-test-redis:<version>       Debian's redis-server   } the test stack's stand-ins for
#   loadgate-test-ferretdb:<version>    FerretDB (SQLite)       } redis:7.4 and mongo:7.0
# <version> is pyproject.toml's; the first two are also tagged loadgate/api and loadgate/harness
# (the names in docker-compose.yml and k8s/). Each image is labelled with the hash of its inputs (files, base
# image id); a call whose inputs are unchanged skips the build, so a second call takes a second.
#
#   scripts/build-images.sh                      # on the local Debian bases (scripts/setup-docker.sh)
#   PYTHON_IMAGE=python:3.11.13-slim-bookworm scripts/build-images.sh   # on the official base
#
# pip inside the build trusts the system CA bundle (the intercepting proxy's) through the BuildKit
# secret `ca`: mounted for the pip steps only, in no layer of any image.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER=/usr/bin/docker
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
log() { echo "build-images: $*" >&2; }

scripts/setup-docker.sh >&2
python_image=${PYTHON_IMAGE:-$(scripts/setup-docker.sh --base-tag python)}
services_image=${SERVICES_IMAGE:-$(scripts/setup-docker.sh --base-tag services)}

# inputs_hash BASE FILE...: what an image is made of, as one hash.
inputs_hash() {
  local base_id; base_id=$("$DOCKER" image inspect -f '{{.Id}}' "$1" 2>/dev/null || echo "$1"); shift
  { echo "$base_id"; find "$@" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | sort -z \
      | xargs -0 sha256sum; } | sha256sum | cut -c1-16
}

# build TAG BASE CONTEXT DOCKERFILE INPUT...: docker build unless TAG already carries these inputs.
build() {
  local tag=$1 base=$2 context=$3 dockerfile=$4; shift 4
  local hash; hash=$(inputs_hash "$base" "$dockerfile" "$@")
  if [ "$("$DOCKER" image inspect -f '{{index .Config.Labels "org.loadgate.inputs"}}' "$tag" 2>/dev/null)" = "$hash" ]; then
    echo "$tag"; return
  fi
  log "building $tag on $base"
  local secret=()
  [ -s "$CA_BUNDLE" ] && secret=(--secret "id=ca,src=$CA_BUNDLE")
  local start=$SECONDS
  if ! DOCKER_BUILDKIT=1 nice -n 19 "$DOCKER" build --network host --progress plain "${secret[@]}" \
      --build-arg "PYTHON_IMAGE=$base" --build-arg "BASE=$base" --label "org.loadgate.inputs=$hash" \
      -f "$dockerfile" -t "$tag" "$context" >"$log_dir/${tag//[\/:]/_}.log" 2>&1; then
    tail -30 "$log_dir/${tag//[\/:]/_}.log" >&2
    log "building $tag failed (whole log: $log_dir/${tag//[\/:]/_}.log)"; exit 1
  fi
  log "built $tag in $((SECONDS - start)) s"
  echo "$tag"
}

log_dir=${LOADGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loadgate}/build-logs
mkdir -p "$log_dir"
sources=(pyproject.toml README.md scripts/extra-requirements.py loadgate target_app loadtests reports)
build "loadgate-api:$version" "$python_image" . Dockerfile "${sources[@]}"
build "loadgate-harness:$version" "$python_image" . Dockerfile.harness "${sources[@]}" scenarios notebooks
# The names docker-compose.yml and k8s/ use, on the same images.
"$DOCKER" tag "loadgate-api:$version" "loadgate/api:$version"
"$DOCKER" tag "loadgate-harness:$version" "loadgate/harness:$version"
build "loadgate-test-redis:$version" "$services_image" tests/containers/images \
  tests/containers/images/redis.Dockerfile

# FerretDB: the binary scripts/setup.sh built (tools/ferretdb), in a context of its own.
ferretdb=$(readlink -f .cache/bin/ferretdb-lite 2>/dev/null || true)
if [ ! -x "$ferretdb" ]; then
  log ".cache/bin/ferretdb-lite: missing (run scripts/setup.sh)"; exit 1
fi
ctx=$log_dir/../ferretdb-context
mkdir -p "$ctx"
cp tests/containers/images/ferretdb.Dockerfile "$ctx/" && cp -p "$ferretdb" "$ctx/ferretdb-lite"
build "loadgate-test-ferretdb:$version" "$services_image" "$ctx" "$ctx/ferretdb.Dockerfile" "$ctx/ferretdb-lite"
