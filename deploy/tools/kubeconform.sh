#!/usr/bin/env bash
# kubeconform and the JSON Schemas it checks the deployment files against, offline (issue 14,
# deliverable 5; docs/decisions/0015-deployment.md). Nothing here talks to a cluster.
#   kubeconform      built from the Go module proxy (pinned; checked by Go's checksum database)
#   Kubernetes       the API's schemas of one version, from the kubernetes-validate package (PyPI,
#                    requirements.lock) laid out by kubernetes_schemas.py
#   keda.sh          KEDA's CRDs from its Go module (pinned, hash checked), turned into JSON Schemas
#                    by kubeconform's own openapi2jsonschema.py (strict)
#   kafka.strimzi.io generated from Strimzi's API model on Maven Central (strimzi-schemas/)
#   compose          the Compose Specification's JSON Schema, from the compose-spec organisation's
#                    Go module compose-go (pinned, hash checked)
# Usage: deploy/tools/kubeconform.sh install|validate FILE...|schemas
# `install` is safe to call twice (scripts/setup --with-postgres calls it); the binary is built once
# per machine into a cache outside the clone; the schemas live under $ZT_STATE_DIR/kubeconform.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/lib.sh
. "$HERE/../lib.sh"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="${ZT_STATE_DIR:-$ROOT/.local}/kubeconform"
SCHEMAS="$STATE/schemas"
KUBECONFORM=github.com/yannh/kubeconform
KUBECONFORM_VERSION=v0.7.0
KUBECONFORM_SUM=h1:ZFfniR8VChrWQxaxTUGnNrxw8RIDkjVBrjdhXSamwjw=
KUBERNETES_VERSION=1.34.0
KEDA=github.com/kedacore/keda/v2@v2.21.0
KEDA_SUM=h1:R6z2HZvstK4RLUMxroNACzBj74xGxt3kG59b5Xc+Xps=
COMPOSE=github.com/compose-spec/compose-go/v2@v2.16.2
COMPOSE_SUM=h1:pTp1DqQwJzFd85GzlWsSszKA1ABrV/ySqsClujIcWA8=
CACHE="${KUBECONFORM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/zorgtafel/kubeconform-$KUBECONFORM_VERSION}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
# Whatever shapes the schemas: a change to any of these lays them out anew.
PIN="$(cat "$0" "$HERE/kubernetes_schemas.py" "$HERE/strimzi-schemas/pom.xml" "$HERE/strimzi-schemas/StrimziSchemas.java" \
       | sha256sum | cut -c1-12)"

log() { printf 'kubeconform: %s\n' "$*" >&2; }

build() {
  local go; go="$(go_tool)" || { log "Go is required to build kubeconform"; exit 1; }
  mkdir -p "$CACHE" "$STATE"
  log "building kubeconform $KUBECONFORM_VERSION from the Go module proxy into $CACHE (once per machine)"
  local started=$SECONDS
  if ! GOBIN="$CACHE/bin.$$" "$go" install "$KUBECONFORM/cmd/kubeconform@$KUBECONFORM_VERSION" >"$STATE/build.log" 2>&1; then
    rm -rf "$CACHE/bin.$$"; log "build failed:"; tail -n 40 "$STATE/build.log" >&2; exit 1
  fi
  # Renamed into place only when complete: a second clone building at once never runs half a file.
  mv -f "$CACHE/bin.$$/kubeconform" "$CACHE/kubeconform"; rm -rf "$CACHE/bin.$$"
  log "built in $((SECONDS - started))s"
}

# module_dir MODULE@VERSION H1: the module's files in Go's module cache, after checking that the
# proxy served exactly the pinned content.
module_dir() {
  local go json sum; go="$(go_tool)"
  json="$(cd "$STATE" && "$go" mod download -json "$1")" || { log "$1: $json"; exit 1; }
  field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" <<<"$json"; }
  sum="$(field Sum)"
  if [ "$sum" != "$2" ]; then log "$1: the proxy served $sum, pinned $2"; exit 1; fi
  field Dir
}

schemas() {
  local work="$STATE/schemas.tmp.$$" keda compose converter
  rm -rf "$STATE"/schemas.tmp.*; mkdir -p "$work/keda.sh"  # and what a failed run left
  "$PYTHON" "$HERE/kubernetes_schemas.py" "$KUBERNETES_VERSION" "$work/kubernetes"
  # kubeconform's own CRD converter, from its module (the module cache may have been cleaned since
  # the binary was built).
  converter="$(module_dir "$KUBECONFORM@$KUBECONFORM_VERSION" "$KUBECONFORM_SUM")/scripts/openapi2jsonschema.py"
  keda="$(module_dir "$KEDA" "$KEDA_SUM")"
  (cd "$work/keda.sh" && FILENAME_FORMAT='{kind}_{version}' DENY_ROOT_ADDITIONAL_PROPERTIES=1 "$PYTHON" "$converter" \
      "$keda/config/crd/bases/keda.sh_scaledobjects.yaml" "$keda/config/crd/bases/keda.sh_triggerauthentications.yaml") >/dev/null
  compose="$(module_dir "$COMPOSE" "$COMPOSE_SUM")"
  cp "$compose/schema/compose-spec.json" "$work/compose-spec.json"
  log "generating the Strimzi schemas from io.strimzi:api (Maven Central)"
  mvn -B -q -Dstyle.color=never -f "$HERE/strimzi-schemas/pom.xml" dependency:build-classpath \
      -Dmdep.outputFile="$work/strimzi.classpath" >"$STATE/mvn.log" 2>&1 || { log "resolving failed:"; tail -n 40 "$STATE/mvn.log" >&2; exit 1; }
  java -cp "$(cat "$work/strimzi.classpath")" "$HERE/strimzi-schemas/StrimziSchemas.java" "$work/kafka.strimzi.io" \
      2>"$STATE/strimzi.log" || { log "generating failed:"; tail -n 40 "$STATE/strimzi.log" >&2; exit 1; }
  rm -rf "$SCHEMAS"; mv "$work" "$SCHEMAS"
  echo "$PIN" >"$SCHEMAS/.complete"
}

install() {
  mkdir -p "$STATE/bin"
  if [ ! -x "$CACHE/kubeconform" ]; then build; fi
  ln -sfn "$CACHE/kubeconform" "$STATE/bin/kubeconform"
  if [ "$(cat "$SCHEMAS/.complete" 2>/dev/null)" != "$PIN" ]; then
    local started=$SECONDS; schemas; log "schemas laid out in $((SECONDS - started))s in $SCHEMAS"
  fi
}

# Every document strict (no unknown field), offline (only the schemas above), none skipped: a kind
# without a schema is an error.
validate() {
  if [ ! -x "$STATE/bin/kubeconform" ] || [ ! -d "$SCHEMAS" ]; then
    echo "kubeconform: not installed in $STATE: run $0 install first (scripts/setup --with-postgres does)" >&2; exit 1
  fi
  "$STATE/bin/kubeconform" -strict -summary -kubernetes-version "$KUBERNETES_VERSION" \
    -schema-location "$SCHEMAS/kubernetes/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$SCHEMAS/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
    "$@"
}

case "${1:-}" in
  install) install ;;
  validate) shift; validate "$@" ;;
  schemas) echo "$SCHEMAS" ;;
  *) echo "usage: $0 install|validate FILE...|schemas" >&2; exit 2 ;;
esac
