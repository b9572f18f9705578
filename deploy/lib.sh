# shellcheck shell=bash
# Shared by the deploy scripts (sourced, not run). Needs a `log` function in the caller.

# stop_pidfile PIDFILE SECONDS: SIGTERM the process in PIDFILE (a clean shutdown), wait up to
# SECONDS for it to go, then SIGKILL; safe when it is not running.
stop_pidfile() {
  local pidfile="$1" seconds="$2" pid
  if ! [ -f "$pidfile" ] || ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; log "not running"; return 0; fi
  pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 1 "$seconds"); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then log "forcing stop"; kill -9 "$pid"; fi
  rm -f "$pidfile"
  log "stopped"
}

# go_tool: the path of the Go command (on PATH, or where the Go distribution installs it); fails
# when there is none.
go_tool() {
  if command -v go >/dev/null; then command -v go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else return 1; fi
}
