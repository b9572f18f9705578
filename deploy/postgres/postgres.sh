#!/usr/bin/env bash
# PostgreSQL from Debian's package, run as a private cluster under $ZT_STATE_DIR (git-ignored).
# Usage: deploy/postgres/postgres.sh install|start|stop|status|url
# Every command is safe to call twice. The cluster listens on 127.0.0.1:$PG_PORT only.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${ZT_STATE_DIR:-$ROOT/.local}/postgres"
DATA="$STATE/data"
RUN="$STATE/run"
PORT="${PG_PORT:-55432}"
DB="${PG_DATABASE:-zorgtafel}"
USER_NAME="${PG_USER:-zorgtafel}"
PASSWORD="${PG_PASSWORD:-zorgtafel-local}"

log() { printf 'postgres: %s\n' "$*" >&2; }

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] && echo "$d"
}

install() {
  if [ -n "$(bindir)" ]; then return 0; fi
  log "installing Debian's postgresql package"
  if [ "$(id -u)" -ne 0 ]; then log "run as root (or install the postgresql package yourself)"; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# PostgreSQL refuses to run as root; as root we run it as the package's postgres user.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { as_owner "$(bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
  install
  local bin; bin="$(bindir)"
  mkdir -p "$STATE" "$RUN"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$STATE" "$RUN"; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    log "initialising a cluster in $DATA"
    local pwfile="$STATE/.pw"
    printf '%s\n' "$PASSWORD" >"$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pwfile"; fi
    as_owner "$bin/initdb" -D "$DATA" -U "$USER_NAME" --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  if running; then log "already running on 127.0.0.1:$PORT"; else
    log "starting on 127.0.0.1:$PORT"
    as_owner "$bin/pg_ctl" -D "$DATA" -l "$STATE/postgres.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $RUN -c fsync=${PG_FSYNC:-on}" >/dev/null
  fi
  if ! as_owner "$bin/psql" -h "$RUN" -p "$PORT" -U "$USER_NAME" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
    as_owner "$bin/createdb" -h "$RUN" -p "$PORT" -U "$USER_NAME" "$DB"
  fi
  log "ready: $(url)"
}

stop() {
  if running; then as_owner "$(bindir)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; log "stopped"; else log "not running"; fi
}

url() { echo "postgresql+asyncpg://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB"; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if [ -n "$(bindir)" ] && running; then echo "running port $PORT"; else echo "stopped"; exit 1; fi ;;
  url) url ;;
  *) echo "usage: $0 install|start|stop|status|url" >&2; exit 2 ;;
esac
