# shellcheck shell=bash
# Kafka's own command-line tools (kafka-topics.sh and friends) on the broker's classpath, connected
# to the local broker as a principal of this machine. Sourced by kafka.sh, which sets HERE, STATE,
# LIBS, PORT, TLS, SECRETS and `log`.
#   kafka.sh client-config [PRINCIPAL]   write the principal's client properties, print the path
#   kafka.sh tool [NAME [ARGS...]]       run a tool (no NAME: list them)
# The principal is KAFKA_TOOL_PRINCIPAL, zt-operations when unset: it sees topics, their
# configuration and consumer groups and reads the dead-letter topic; it changes nothing
# (shared/security/acls.py, operations_acls). KAFKA_TOOL_PRINCIPAL=zt-admin for the rest.
# Operations may use only their own consumer groups (<prefix>.operations.*): the console consumer
# needs `--group zorgtafel.operations.<name>`, or `--partition N --offset earliest` (no group);
# `--from-beginning` alone takes a random group, which the broker refuses.

CLIENTS="$STATE/clients"

# name|main class|the flag that takes a client properties file (Apache Kafka 4.1.1: most tools
# say --command-config; the console clients, leader election and others still their own names).
# Names are those of Kafka's bin/ scripts without `kafka-` and `.sh`.
TOOLS="
topics|org.apache.kafka.tools.TopicCommand|--command-config
consumer-groups|org.apache.kafka.tools.consumer.group.ConsumerGroupCommand|--command-config
get-offsets|org.apache.kafka.tools.GetOffsetShell|--command-config
configs|kafka.admin.ConfigCommand|--command-config
acls|org.apache.kafka.tools.AclCommand|--command-config
console-consumer|org.apache.kafka.tools.consumer.ConsoleConsumer|--consumer.config
console-producer|org.apache.kafka.tools.ConsoleProducer|--producer.config
log-dirs|org.apache.kafka.tools.LogDirsCommand|--command-config
groups|org.apache.kafka.tools.GroupsCommand|--command-config
share-groups|org.apache.kafka.tools.consumer.group.ShareGroupCommand|--command-config
streams-groups|org.apache.kafka.tools.streams.StreamsGroupCommand|--command-config
delete-records|org.apache.kafka.tools.DeleteRecordsCommand|--command-config
transactions|org.apache.kafka.tools.TransactionsCommand|--command-config
leader-election|org.apache.kafka.tools.LeaderElectionCommand|--admin.config
reassign-partitions|org.apache.kafka.tools.reassign.ReassignPartitionsCommand|--command-config
broker-api-versions|org.apache.kafka.tools.BrokerApiVersionsCommand|--command-config
metadata-quorum|org.apache.kafka.tools.MetadataQuorumCommand|--command-config
features|org.apache.kafka.tools.FeatureCommand|--command-config
client-metrics|org.apache.kafka.tools.ClientMetricsCommand|--command-config
"

# client_config PRINCIPAL: (re)write $CLIENTS/PRINCIPAL.properties from the principal's secret file
# (so a rotated password is picked up), mode 0600 in a 0700 folder, and print its path. The
# password goes through shell built-ins only: never an argument of a process.
client_config() {
  local principal="$1" secret="$SECRETS/$1.password" password file fresh
  if ! [[ "$principal" =~ ^[a-z0-9][a-z0-9-]*$ ]]; then log "not a principal's name: $principal"; return 2; fi
  if ! [ -s "$secret" ]; then
    log "no password for $principal in $secret (zorgtafel security apply makes it)"; return 1
  fi
  password="$(<"$secret")"
  # JAAS quotes the value: a password of other characters could end the quote.
  if ! [[ "$password" =~ ^[A-Za-z0-9._~+/=-]+$ ]]; then log "unexpected characters in $secret"; return 1; fi
  file="$CLIENTS/$principal.properties"; fresh="$CLIENTS/.$principal.properties.$$"
  (umask 077; mkdir -p "$CLIENTS"); chmod 700 "$CLIENTS"
  (umask 077; {
    printf 'bootstrap.servers=127.0.0.1:%s\n' "$PORT"
    printf 'security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n'
    printf 'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";\n' \
      "$principal" "$password"
    printf 'ssl.truststore.type=PEM\nssl.truststore.location=%s\n' "$TLS/ca.crt"
  } >"$fresh")
  mv -f "$fresh" "$file"
  printf '%s\n' "$file"
}

list_tools() {
  echo "usage: $0 tool NAME [ARGS...]   (as \${KAFKA_TOOL_PRINCIPAL:-zt-operations}; NAME --help for its options)"
  echo "tools (Apache Kafka's bin/kafka-NAME.sh):"
  local name _
  while IFS='|' read -r name _; do
    if [ -n "$name" ]; then echo "  $name"; fi
  done <<<"$TOOLS"
}

# has_option FLAG ARGS...: whether ARGS hold FLAG, alone or as FLAG=value.
has_option() {
  local flag="$1" arg; shift
  for arg in "$@"; do
    if [ "$arg" = "$flag" ] || [[ "$arg" == "$flag="* ]]; then return 0; fi
  done
  return 1
}

# run_tool NAME ARGS...: the tool's process replaces this shell (its exit code, its stdin, Ctrl-C).
# --bootstrap-server and the properties flag come first (argparse tools such as transactions want
# them before their sub-command) and only when the caller gave none of their own.
run_tool() {
  local name="${1:-}" row="" class flag config
  if [ -z "$name" ]; then list_tools; return 0; fi
  shift
  if [[ "$name" =~ ^[a-z-]+$ ]]; then row="$(grep -m1 "^$name|" <<<"$TOOLS" || true)"; fi
  if [ -z "$row" ]; then log "no tool named '$name'"; list_tools >&2; return 2; fi
  IFS='|' read -r _ class flag <<<"$row"
  [ -f "$LIBS/.complete" ] || { log "the broker's jars are not installed: $0 install"; return 1; }
  local added=()
  if ! has_option --bootstrap-server "$@" && ! has_option --bootstrap-controller "$@"; then
    added+=(--bootstrap-server "127.0.0.1:$PORT")
  fi
  if ! has_option "$flag" "$@"; then
    config="$(client_config "${KAFKA_TOOL_PRINCIPAL:-zt-operations}")" || return 1
    added+=("$flag" "$config")
  fi
  # A short-lived client: the quick compiler and the serial collector halve its run (`topics
  # --list`: about 2 s instead of 4 on this project's 2-core machines).
  exec java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$HERE/tools-log4j2.properties" -cp "$LIBS/*" "$class" "${added[@]}" "$@"
}
