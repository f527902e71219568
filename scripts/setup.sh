#!/usr/bin/env bash
# Installs everything loadgate, its tests and its benchmarks need on a fresh Debian machine:
# Debian packages (Redis, nginx, Chromium, wrk), a virtualenv with the project, and FerretDB
# built from the Go module proxy (cached outside the clone, keyed by its source).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pair in redis-server:redis-server nginx:nginx chromium:chromium wrk:wrk; do
  bin=${pair%%:*} pkg=${pair##*:}
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# RabbitMQ (the API's events and the worker): Debian's broker, started by the tests on their own
# ports and data directory. Installing it does not need the system service running.
if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  echo "setup: installing Debian package: rabbitmq-server"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
fi

# Prometheus (receives the swarm's live results through remote write): Debian's 2.42, started by
# the tests on their own port and storage folder. Installing it does not need the service running.
if ! command -v prometheus >/dev/null 2>&1; then
  echo "setup: installing Debian package: prometheus"
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing loadgate and its dependencies into .venv"
  # Quiet unless it fails: the editable build's warnings are noise on every fresh machine.
  if ! { .venv/bin/python -m pip install -q --upgrade pip && .venv/bin/python -m pip install -q -e ".[dev]"; } \
      > .venv/install.log 2>&1; then
    cat .venv/install.log >&2
    echo "setup: pip install failed (log above, also in .venv/install.log)" >&2
    exit 1
  fi
  rm -f .venv/.installed-*; touch "$stamp"
fi

# FerretDB: our tiny embedding program (tools/ferretdb), built once per source hash.
src_hash=$(cat tools/ferretdb/go.mod tools/ferretdb/go.sum tools/ferretdb/main.go | sha256sum | cut -c1-16)
cache_dir=${LOADGATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loadgate}
bin="$cache_dir/ferretdb-lite-$src_hash"
if [ ! -x "$bin" ]; then
  echo "setup: building FerretDB v1.24.2 (first time only, a few minutes)"
  mkdir -p "$cache_dir"
  (cd tools/ferretdb && CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" . && mv "$bin.tmp" "$bin")
fi
mkdir -p .cache/bin
ln -sf "$bin" .cache/bin/ferretdb-lite

