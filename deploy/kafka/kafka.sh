#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker + controller) from Maven Central jars, run with the JDK.
# Usage: deploy/kafka/kafka.sh install|start|wait|stop|status|logs
# Every command is safe to call twice. Data and logs live under $ZT_STATE_DIR (git-ignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/lib.sh
. "$HERE/../lib.sh"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${ZT_STATE_DIR:-$ROOT/.local}/kafka"
LIBS="$STATE/libs"
DATA="$STATE/data"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
PIDFILE="$STATE/kafka.pid"
LOG="$STATE/broker.log"
CONF="$STATE/server.properties"
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

log() { printf 'kafka: %s\n' "$*" >&2; }

install() {
  command -v java >/dev/null || { log "java (JDK 17+) is required"; exit 1; }
  if [ -f "$LIBS/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { log "mvn is required to resolve the broker from Maven Central"; exit 1; }
  mkdir -p "$STATE"
  log "resolving the broker classpath from Maven Central into $LIBS"
  rm -rf "$LIBS"
  if ! mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS" >"$STATE/mvn.log" 2>&1; then
    log "resolving failed:"; tail -n 40 "$STATE/mvn.log" >&2; exit 1
  fi
  touch "$LIBS/.complete"
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

render_config() {
  mkdir -p "$DATA"
  sed -e "s#@DATA_DIR@#$DATA#" -e "s#@PORT@#$PORT#" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#" \
      "$HERE/server.properties.in" > "$CONF"
}

format_storage() {
  # A formatted directory keeps its cluster id; formatting again with another id is a hard error.
  if [ -f "$DATA/meta.properties" ]; then return 0; fi
  local tool_log="-Dlog4j2.configurationFile=$HERE/tools-log4j2.properties"
  local cluster_id
  cluster_id="$(java -Xmx128m "$tool_log" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid)"
  java -Xmx256m "$tool_log" -cp "$LIBS/*" kafka.tools.StorageTool format \
       -t "$cluster_id" -c "$CONF" >/dev/null
}

start() {
  install
  if running; then log "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; return 0; fi
  render_config
  format_storage
  log "starting on 127.0.0.1:$PORT (log: $LOG)"
  # shellcheck disable=SC2086
  nohup java $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
      -Dkafka.logs.dir="$STATE/logs" -Dlog4j2.configurationFile="$HERE/log4j2.properties" \
      -cp "$LIBS/*" kafka.Kafka "$CONF" >"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  wait_ready
}

wait_ready() {
  local timeout="${KAFKA_START_TIMEOUT:-120}" waited=0
  # The port opens slightly before the broker reaches RUNNING; the log line is the real signal.
  until grep -q "Kafka Server started" "$LOG" 2>/dev/null; do
    if ! running; then log "broker exited during start-up; last lines of $LOG:"; tail -n 30 "$LOG" >&2; exit 1; fi
    if [ "$waited" -ge "$timeout" ]; then log "not ready after ${timeout}s"; tail -n 30 "$LOG" >&2; exit 1; fi
    sleep 1; waited=$((waited + 1))
  done
  log "ready on 127.0.0.1:$PORT"
}

# SIGTERM first: the broker's shutdown hook closes logs cleanly.
stop() { stop_pidfile "$PIDFILE" 60; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  wait) wait_ready ;;
  stop) stop ;;
  status) if running; then echo "running pid $(cat "$PIDFILE") port $PORT"; else echo "stopped"; exit 1; fi ;;
  logs) tail -n "${2:-50}" "$LOG" ;;
  *) echo "usage: $0 install|start|wait|stop|status|logs" >&2; exit 2 ;;
esac
