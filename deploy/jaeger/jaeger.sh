#!/usr/bin/env bash
# Jaeger v2 (OTLP in; query API out; traces in memory) built from the Go module proxy.
# The Go module carries no UI assets, so `/` serves Jaeger's placeholder page, not the UI; the
# query API (/api/traces/<trace-id>, /api/services) is complete. jaeger_query's `ui.assets_path`
# would serve a built jaeger-ui directory, which no package registry here provides.
# Usage: deploy/jaeger/jaeger.sh install|start|wait|stop|status|logs|url
# Every command is safe to call twice. The pid file and log live under $ZT_STATE_DIR (git-ignored);
# the binary is built once per machine into a cache outside the clone (a build takes minutes),
# keyed by the pinned go.mod/go.sum in deploy/jaeger/module, and linked into the state directory.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/lib.sh
. "$HERE/../lib.sh"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${ZT_STATE_DIR:-$ROOT/.local}/jaeger"
BUILD_MODULE="$HERE/module"
VERSION="$(grep -oE 'github.com/jaegertracing/jaeger v[^ ]+' "$BUILD_MODULE/go.mod" | head -n 1 | cut -d' ' -f2)"
PIN="$(cat "$BUILD_MODULE/go.mod" "$BUILD_MODULE/go.sum" | sha256sum | cut -c1-12)"
CACHE="${JAEGER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zorgtafel/jaeger-$VERSION-$PIN}"
BIN="$STATE/bin/jaeger"
PIDFILE="$STATE/jaeger.pid"
LOG="$STATE/jaeger.log"
# config.yaml reads these through ${env:...}; exported so the child sees the defaults too.
export JAEGER_HOST="${JAEGER_HOST:-127.0.0.1}"
export JAEGER_OTLP_HTTP_PORT="${JAEGER_OTLP_HTTP_PORT:-4318}"
export JAEGER_OTLP_GRPC_PORT="${JAEGER_OTLP_GRPC_PORT:-4317}"
export JAEGER_UI_PORT="${JAEGER_UI_PORT:-16686}"
export JAEGER_QUERY_GRPC_PORT="${JAEGER_QUERY_GRPC_PORT:-16685}"
export JAEGER_MAX_TRACES="${JAEGER_MAX_TRACES:-20000}"

log() { printf 'jaeger: %s\n' "$*" >&2; }

install() {
  mkdir -p "$STATE/bin"
  if [ ! -x "$CACHE/jaeger" ]; then build; fi
  # A link, not a copy: the binary is ~100 MB and every clone on the machine shares it.
  ln -sfn "$CACHE/jaeger" "$BIN"
}

build() {
  local go; go="$(go_tool)" || { log "Go is required to build Jaeger (https://go.dev/doc/install)"; exit 1; }
  mkdir -p "$CACHE"
  # Built in a scratch copy of the wrapper module so the clone's files are never rewritten;
  # -mod=readonly makes a go.sum that no longer matches go.mod an error instead of a silent update.
  local work; work="$(mktemp -d)"
  cp "$BUILD_MODULE/go.mod" "$BUILD_MODULE/go.sum" "$BUILD_MODULE/tools.go" "$work/"
  log "building Jaeger $VERSION from the Go module proxy into $CACHE (once per machine; minutes on a cold cache; log: $STATE/build.log)"
  local started=$SECONDS
  if ! (cd "$work" && GOFLAGS=-mod=readonly "$go" build \
          -ldflags "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=$VERSION" \
          -o "$CACHE/jaeger.tmp.$$" github.com/jaegertracing/jaeger/cmd/jaeger) >"$STATE/build.log" 2>&1; then
    rm -rf "$work" "$CACHE/jaeger.tmp.$$"
    log "build failed:"; tail -n 40 "$STATE/build.log" >&2; exit 1
  fi
  rm -rf "$work"
  # Renamed into place only when complete: a second clone building at the same time never runs
  # a half-written binary.
  mv -f "$CACHE/jaeger.tmp.$$" "$CACHE/jaeger"
  log "built in $((SECONDS - started))s"
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The query API answers (with JSON) once the storage and query extensions have started.
query_answers() {
  local url="http://127.0.0.1:$JAEGER_UI_PORT/api/services"
  if command -v curl >/dev/null; then curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null
  else python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$url" 2>/dev/null; fi
}

start() {
  install
  if running; then log "already running (pid $(cat "$PIDFILE")); query API http://127.0.0.1:$JAEGER_UI_PORT"; return 0; fi
  local port
  for port in "$JAEGER_OTLP_HTTP_PORT" "$JAEGER_OTLP_GRPC_PORT" "$JAEGER_UI_PORT" "$JAEGER_QUERY_GRPC_PORT"; do
    if port_open "$port"; then
      log "127.0.0.1:$port is taken by another process (another clone's Jaeger?); stop it or set JAEGER_*_PORT"
      exit 1
    fi
  done
  log "starting: OTLP on 127.0.0.1:$JAEGER_OTLP_HTTP_PORT (HTTP) and :$JAEGER_OTLP_GRPC_PORT (gRPC), query API on http://127.0.0.1:$JAEGER_UI_PORT (log: $LOG)"
  nohup "$BIN" --config "$HERE/config.yaml" >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_ready
}

wait_ready() {
  local timeout="${JAEGER_START_TIMEOUT:-60}" waited=0
  # The collector starts extensions (the query API) before receivers, so both are waited for.
  until query_answers && port_open "$JAEGER_OTLP_HTTP_PORT"; do
    if [ -f "$PIDFILE" ] && ! running; then log "exited during start-up; last lines of $LOG:"; tail -n 30 "$LOG" >&2; exit 1; fi
    if [ "$waited" -ge "$timeout" ]; then log "not ready after ${timeout}s"; tail -n 30 "$LOG" >&2 2>/dev/null || true; exit 1; fi
    sleep 1; waited=$((waited + 1))
  done
  log "ready: OTLP http://127.0.0.1:$JAEGER_OTLP_HTTP_PORT/v1/traces, query API http://127.0.0.1:$JAEGER_UI_PORT/api/traces/<trace-id>"
}

# SIGTERM first: the collector shuts its pipelines down in order.
stop() { stop_pidfile "$PIDFILE" 30; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  wait) wait_ready ;;
  stop) stop ;;
  status)
    if running; then echo "running pid $(cat "$PIDFILE") otlp-http $JAEGER_OTLP_HTTP_PORT query $JAEGER_UI_PORT"
    else echo "stopped"; exit 1; fi ;;
  logs) tail -n "${2:-50}" "$LOG" ;;
  url) echo "http://127.0.0.1:$JAEGER_UI_PORT" ;;
  *) echo "usage: $0 install|start|wait|stop|status|logs|url" >&2; exit 2 ;;
esac
