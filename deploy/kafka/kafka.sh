#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, broker + controller) from Maven Central jars, run with the JDK,
# secured: TLS with a CA and broker certificate made here (keytool), SASL/SCRAM-SHA-512 for every
# client, KRaft's StandardAuthorizer refusing whatever no ACL allows.
# Usage: deploy/kafka/kafka.sh install|start|wait|stop|status|logs|client-config|tool
#   client-config [PRINCIPAL], tool [NAME [ARGS...]]: Kafka's command-line tools (tools.sh).
# Every command is safe to call twice. Data, logs, certificates and secrets live under
# $ZT_STATE_DIR (git-ignored); secrets are generated per machine, mode 0600 in 0700 folders.
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
TLS="$STATE/tls"
SECRETS="${ZT_STATE_DIR:-$ROOT/.local}/secrets/kafka"
HEAP="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

log() { printf 'kafka: %s\n' "$*" >&2; }
# shellcheck source=deploy/kafka/tools.sh
. "$HERE/tools.sh"

# The jars are resolved again whenever the pom changed (its checksum is kept in the marker), so a
# machine set up before picks up a new dependency on its next `scripts/setup`. They are resolved
# into a folder beside the old one and swapped in: a failed resolve leaves the old jars in place.
install() {
  command -v java >/dev/null || { log "java (JDK 17+) is required"; exit 1; }
  local wanted; wanted="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1)"
  if [ "$(cat "$LIBS/.complete" 2>/dev/null)" = "$wanted" ]; then return 0; fi
  command -v mvn >/dev/null || { log "mvn is required to resolve the broker from Maven Central"; exit 1; }
  # The broker's folder is its owner's alone: its log segments hold every message. Only this
  # folder: the state folder above it is shared with PostgreSQL's, whose server runs as postgres.
  mkdir -p "$STATE"; chmod 700 "$STATE"
  log "resolving the broker classpath from Maven Central into $LIBS"
  rm -rf "$LIBS.new"
  if ! mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIBS.new" >"$STATE/mvn.log" 2>&1; then
    log "resolving failed:"; tail -n 40 "$STATE/mvn.log" >&2; exit 1
  fi
  echo "$wanted" >"$LIBS.new/.complete"
  rm -rf "$LIBS"; mv "$LIBS.new" "$LIBS"
  if running; then log "the running broker uses the new jars after a restart (stop, then start)"; fi
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# A secret of this machine: made once (256 random bits), readable by its owner only.
secret() {
  local file="$SECRETS/$1.password"
  if [ ! -s "$file" ]; then
    mkdir -p "$(dirname "$SECRETS")"  # shared state folder: default mode
    (umask 077; mkdir -p "$SECRETS"; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$file")
  fi
  chmod 700 "$SECRETS"; chmod 600 "$file"
  cat "$file"
}

# The deployment's own CA and the broker's certificate (CN=zt-broker, for 127.0.0.1 and
# localhost), made with the JDK's keytool. Clients trust ca.crt; the CA key stays in ca.p12.
make_certificates() {
  if [ -f "$TLS/.complete" ]; then return 0; fi
  rm -rf "$TLS"; (umask 077; mkdir -p "$TLS")
  local days=825
  KS_PASSWORD="$(secret keystore)"; export KS_PASSWORD
  keytool -genkeypair -alias ca -dname "CN=zorgtafel-local-ca" -keyalg EC -groupname secp256r1 -validity $days \
      -ext bc:c=ca:true -ext ku:c=keyCertSign,cRLSign -keystore "$TLS/ca.p12" -storetype PKCS12 -storepass:env KS_PASSWORD
  keytool -exportcert -rfc -alias ca -keystore "$TLS/ca.p12" -storepass:env KS_PASSWORD -file "$TLS/ca.crt" 2>/dev/null
  keytool -genkeypair -alias broker -dname "CN=zt-broker" -keyalg EC -groupname secp256r1 -validity $days \
      -keystore "$TLS/broker.p12" -storetype PKCS12 -storepass:env KS_PASSWORD
  keytool -certreq -alias broker -keystore "$TLS/broker.p12" -storepass:env KS_PASSWORD -file "$TLS/broker.csr"
  keytool -gencert -alias ca -keystore "$TLS/ca.p12" -storepass:env KS_PASSWORD -infile "$TLS/broker.csr" \
      -outfile "$TLS/broker.crt" -rfc -validity $days -ext san=ip:127.0.0.1,dns:localhost -ext eku=serverAuth,clientAuth
  keytool -importcert -alias ca -file "$TLS/ca.crt" -keystore "$TLS/broker.p12" -storepass:env KS_PASSWORD -noprompt 2>/dev/null
  keytool -importcert -alias broker -file "$TLS/broker.crt" -keystore "$TLS/broker.p12" -storepass:env KS_PASSWORD 2>/dev/null
  keytool -importcert -alias ca -file "$TLS/ca.crt" -keystore "$TLS/truststore.p12" -storetype PKCS12 \
      -storepass:env KS_PASSWORD -noprompt 2>/dev/null
  chmod 644 "$TLS/ca.crt"; chmod 600 "$TLS"/*.p12
  touch "$TLS/.complete"
}

render_config() {
  mkdir -p "$DATA"; chmod 700 "$STATE"
  # The substitutions go through a 0600 file, not sed's arguments: no secret in a process list.
  local script="$STATE/render.sed"
  printf 's#@DATA_DIR@#%s#\ns#@PORT@#%s#\ns#@CONTROLLER_PORT@#%s#\ns#@TLS_DIR@#%s#\ns#@BROKER_PASSWORD@#%s#\ns#@KEYSTORE_PASSWORD@#%s#\n' \
    "$DATA" "$PORT" "$CONTROLLER_PORT" "$TLS" "$(secret zt-broker)" "$(secret keystore)" > "$script"
  sed -f "$script" "$HERE/server.properties.in" > "$CONF"; chmod 600 "$CONF"
  rm -f "$script"
}

format_storage() {
  # A formatted directory keeps its cluster id; formatting again with another id is a hard error.
  # A directory formatted before the broker was secured has no SCRAM users: a local broker's data
  # is disposable, so it is formatted again (the marker says this one was made secured).
  if [ -f "$DATA/meta.properties" ] && [ -f "$DATA/.secured" ]; then return 0; fi
  rm -rf "$DATA"; mkdir -p "$DATA"
  local tool_log="-Dlog4j2.configurationFile=$HERE/tools-log4j2.properties"
  local cluster_id
  cluster_id="$(java -Xmx128m "$tool_log" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid)"
  # The broker's and the administrator's SCRAM credentials exist from the first start (KIP-900);
  # every other principal is made by `zorgtafel security apply`, as zt-admin.
  java -Xmx256m "$tool_log" -cp "$LIBS/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$CONF" \
       --add-scram "SCRAM-SHA-512=[name=zt-broker,password=$(secret zt-broker)]" \
       --add-scram "SCRAM-SHA-512=[name=zt-admin,password=$(secret zt-admin)]" >/dev/null
  touch "$DATA/.secured"
}

start() {
  install
  if running; then log "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; return 0; fi
  make_certificates
  render_config
  format_storage
  log "starting on 127.0.0.1:$PORT, SASL_SSL (log: $LOG)"
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
  log "ready on 127.0.0.1:$PORT (SASL_SSL, SCRAM-SHA-512; CA certificate $TLS/ca.crt)"
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
  client-config) client_config "${2:-zt-operations}" ;;
  tool) shift; run_tool "$@" ;;
  *) echo "usage: $0 install|start|wait|stop|status|logs|client-config [PRINCIPAL]|tool [NAME [ARGS...]]" >&2; exit 2 ;;
esac
