#!/usr/bin/env bash
# start-prometheus.sh - Debian's prometheus (with promtool) on 127.0.0.1:PORT, in the background with
# a pid file and a log file, without systemd. It scrapes the targets listed in file_sd JSON files
# under $DIR/targets/ (tests drop a file there for the `autopilot run` they start) every second,
# so a test sees a series within a few seconds.
#
# Idempotent: installs the package if missing; leaves a running server alone when it answers
# /-/ready, else (re)starts it. Fails loudly (non-zero, a message) when it cannot.
#
# Environment: AUTOPILOT_TEST_PROMETHEUS_PORT (9390).
set -euo pipefail
LOG_TAG=start-prometheus
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

PORT="${AUTOPILOT_TEST_PROMETHEUS_PORT:-9390}"
case "$PORT" in ''|*[!0-9]*) die "AUTOPILOT_TEST_PROMETHEUS_PORT must be a port number (got $PORT)";; esac
DIR=$STATE_ROOT/prometheus/$PORT
PID_FILE=$DIR/prometheus.pid
LOG_FILE=$DIR/prometheus.log

command -v curl >/dev/null || apt_install curl ca-certificates
command -v prometheus >/dev/null && command -v promtool >/dev/null || apt_install prometheus
command -v prometheus >/dev/null || die "prometheus not on PATH after installing the Debian package"
command -v promtool >/dev/null || die "promtool not on PATH after installing the Debian package"

# Tests write target files here: world-writable with the sticky bit, like /tmp.
install -d -m 0755 "$STATE_ROOT/prometheus" "$DIR" "$DIR/data"
install -d -m 1777 "$DIR/targets"
cat > "$DIR/prometheus.yml" <<YML
# Written by tests/infra/start-prometheus.sh.
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: autopilot-test
    file_sd_configs:
      - files: ['$DIR/targets/*.json']
        refresh_interval: 1s
YML
promtool check config "$DIR/prometheus.yml" >/dev/null || die "promtool check config $DIR/prometheus.yml failed"

ready() { curl -fsS --max-time 3 "http://127.0.0.1:$PORT/-/ready" >/dev/null 2>&1; }

if pid_alive "$PID_FILE" prometheus && ready; then
  log "prometheus already running on 127.0.0.1:$PORT (pid $(pid_of "$PID_FILE"))"
else
  stop_pidfile "$PID_FILE" prometheus
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT is taken by another program; set AUTOPILOT_TEST_PROMETHEUS_PORT"
  fi
  log "starting prometheus on 127.0.0.1:$PORT"
  # setsid: the server outlives this script and the test run that called it.
  setsid prometheus --config.file="$DIR/prometheus.yml" --storage.tsdb.path="$DIR/data" \
    --web.listen-address="127.0.0.1:$PORT" --storage.tsdb.retention.time=1d \
    </dev/null >>"$LOG_FILE" 2>&1 &
  echo $! > "$PID_FILE"
  for i in $(seq 1 300); do
    ready && break
    pid_alive "$PID_FILE" prometheus || { tail -n 20 "$LOG_FILE" >&2; die "prometheus exited at start (log: $LOG_FILE)"; }
    sleep 0.1
  done
  ready || { tail -n 20 "$LOG_FILE" >&2; die "prometheus did not become ready on 127.0.0.1:$PORT in 30 s (log: $LOG_FILE)"; }
fi

# The HTTP API the tests use answers a query.
curl -fsS --max-time 5 "http://127.0.0.1:$PORT/api/v1/query?query=up" | grep -q '"status":"success"' \
  || die "prometheus on 127.0.0.1:$PORT does not answer /api/v1/query"
log "prometheus ready on 127.0.0.1:$PORT (targets: $DIR/targets/*.json)"
