//go:build tools

// Package tools pins the Jaeger v2 binary that deploy/jaeger/jaeger.sh builds. Plain
// `go install github.com/jaegertracing/jaeger/cmd/jaeger@VERSION` refuses it because Jaeger's
// own go.mod carries a replace directive, so this module repeats that replace and go.mod/go.sum
// pin every module the build uses.
package tools

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"
