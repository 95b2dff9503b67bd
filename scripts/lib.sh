#!/usr/bin/env bash
# Shared by scripts/test and scripts/demo: make sure the tools and the three servers Baton needs
# answer on loopback, installing Debian's packages and starting them when they do not.
set -euo pipefail

say() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port name
  for _ in $(seq 1 100); do port_open "$1" && return 0; sleep 0.1; done
  echo "error: $2 did not start listening on 127.0.0.1:$1" >&2; return 1
}

apt_install() {
  say "installing $* (Debian packages)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null ||
    { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

ensure_node_tools() {
  local want; want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
  if [ "$(pnpm --version 2>/dev/null || true)" != "$want" ]; then
    say "installing pnpm $want"
    npm install -g "pnpm@$want" >/dev/null 2>&1 || as_root npm install -g "pnpm@$want" >/dev/null
  fi
  if [ ! -d node_modules/.pnpm ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
    say "installing dependencies"
    pnpm install --frozen-lockfile >/dev/null
  fi
}

# The reliability and deploy tests start their own nats-server and redis-server (to kill and
# restart them), so the binaries must be there even when the shared servers already answer.
ensure_nats() {
  command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || apt_install nats-server
  port_open 4222 && return 0
  local bin; bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  local dir="${BATON_STATE_DIR:-$HOME/.baton}/nats"; mkdir -p "$dir"
  say "starting nats-server with JetStream on 127.0.0.1:4222 (store $dir)"
  nohup "$bin" -a 127.0.0.1 -p 4222 -js -sd "$dir" >"$dir/server.log" 2>&1 &
  wait_port 4222 nats-server
}

ensure_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  port_open 6379 && return 0
  local dir="${BATON_STATE_DIR:-$HOME/.baton}/redis"; mkdir -p "$dir"
  say "starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --dir "$dir" --logfile "$dir/redis.log"
  wait_port 6379 redis-server
}

ensure_postgres() {
  port_open 5432 && return 0
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  local ver; ver=$(ls /etc/postgresql | sort -V | tail -n 1)
  local conf="/etc/postgresql/$ver/main"
  # Trust auth on loopback only: this is a development database for the tests and the demo.
  if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$conf/pg_hba.conf"
  fi
  say "starting PostgreSQL $ver on 127.0.0.1:5432"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  wait_port 5432 postgresql
}

ensure_services() { ensure_nats; ensure_redis; ensure_postgres; }

# Prometheus, from Debian's `prometheus` package without installing it (no root, and no Prometheus
# server enabled as a service): its binaries `prometheus` (the analysis tests and the demo start
# their own server on a free port) and `promtool` (the metric-name lint) are taken out of the
# package into $BATON_STATE_DIR/tools/bin, where the tests look for them. When this cannot be done
# (e.g. offline) the lint says it skipped and the analysis tests say what is missing.
prometheus_tools() { # binaries wanted: extracts those missing from one download of the package
  local dir="${BATON_STATE_DIR:-$HOME/.baton}/tools" missing=() b
  for b in "$@"; do command -v "$b" >/dev/null || [ -x "$dir/bin/$b" ] || missing+=("$b"); done
  [ ${#missing[@]} = 0 ] && return 0
  say "fetching ${missing[*]} from Debian's prometheus package into $dir/bin"
  local tmp; tmp=$(mktemp -d)
  if (cd "$tmp" && { apt-get download prometheus >/dev/null 2>&1 || { as_root apt-get update -q >/dev/null && apt-get download prometheus >/dev/null; }; }) &&
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"; then
    mkdir -p "$dir/bin" && for b in "${missing[@]}"; do cp "$tmp/x/usr/bin/$b" "$dir/bin/$b"; done
  else
    say "could not fetch ${missing[*]}: the metric-name lint will be skipped, the analysis tests cannot run"
  fi
  rm -rf "$tmp"
}

ensure_promtool() { prometheus_tools promtool; }
ensure_prometheus() { prometheus_tools prometheus promtool; }

# The console's browser tests drive Debian's Chromium (playwright-core, no browser download). When it
# cannot be installed the tests skip and say so; nothing else depends on it.
ensure_chromium() {
  [ -x "${BATON_TEST_CHROMIUM:-/usr/bin/chromium}" ] && return 0
  apt_install chromium || say "could not install Debian's chromium: the console's browser tests will be skipped (they say why)"
}

# kubectl, as a person types it (Debian's kubernetes-client): the kubectl suites and the "when a
# release fails" end-to-end test use it. When it cannot be installed those tests skip and say so.
ensure_kubectl() {
  command -v kubectl >/dev/null && return 0
  apt_install kubernetes-client || say "could not install Debian's kubernetes-client: the kubectl tests will be skipped (they say why)"
}
