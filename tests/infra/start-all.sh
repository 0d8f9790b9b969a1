#!/usr/bin/env bash
# start-all.sh - install (apt/npm) and start every service the integration tests use:
# Slurm, Grid Engine, PostgreSQL 15, pouchdb-server (CouchDB API), HyperShell 2.8.2 (`hs`) and
# Prometheus (with promtool), Debian's chromium (the HTML report's browser test) and an OpenSSH server
# in front of Slurm and Grid Engine (remote pools). Idempotent, no systemd.
# Any service that fails to start makes this exit non-zero, naming it: never a silent skip.
# Writes the connection facts to /var/lib/autopilot-test/services.env (source it in a shell).
set -uo pipefail
LOG_TAG=start-all
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib.sh"
need_root

failed=()
t_all=$(date +%s.%N)
# Sequential on purpose: the apt steps share the dpkg lock, and the box has 2 cores.
for svc in slurm sge postgres couchdb hypershell prometheus chromium sshd; do
  t0=$(date +%s.%N)
  if bash "$HERE/start-$svc.sh" </dev/null; then
    log "$svc up ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s)"
  else
    log "FAILED: $svc (see the messages above)"
    failed+=("$svc")
  fi
done

install -d -m 0755 "$STATE_ROOT"
cat > "$STATE_ROOT/services.env" <<ENV
# Written by tests/infra/start-all.sh: how to reach the test services (defaults the tests use).
AUTOPILOT_TEST_PG_HOST=127.0.0.1
AUTOPILOT_TEST_PG_PORT=${AUTOPILOT_TEST_PG_PORT:-5432}
AUTOPILOT_TEST_PG_USER=${AUTOPILOT_TEST_PG_USER:-autopilot}
AUTOPILOT_TEST_PG_PASSWORD_FILE=${AUTOPILOT_TEST_PG_PASSWORD_FILE:-$STATE_ROOT/pg.pass}
AUTOPILOT_TEST_PG_DATABASE=${AUTOPILOT_TEST_PG_DATABASE:-autopilot_test}
AUTOPILOT_TEST_COUCHDB_URL=${AUTOPILOT_TEST_COUCHDB_URL:-http://127.0.0.1:5984}
AUTOPILOT_TEST_COUCHDB_USER=${AUTOPILOT_TEST_COUCHDB_USER:-admin}
AUTOPILOT_TEST_COUCHDB_PASSWORD_FILE=${AUTOPILOT_TEST_COUCHDB_PASSWORD_FILE:-$STATE_ROOT/couchdb.pass}
AUTOPILOT_TEST_SLURM_PARTITION=${SLURM_PARTITION:-debug}
AUTOPILOT_TEST_SGE_QUEUE=${SGE_QUEUE:-all.q}
AUTOPILOT_TEST_PROMETHEUS_URL=http://127.0.0.1:${AUTOPILOT_TEST_PROMETHEUS_PORT:-9390}
AUTOPILOT_TEST_PROMETHEUS_TARGETS=$STATE_ROOT/prometheus/${AUTOPILOT_TEST_PROMETHEUS_PORT:-9390}/targets
AUTOPILOT_TEST_SSH_HOST=127.0.0.1
AUTOPILOT_TEST_SSH_PORT=${AUTOPILOT_TEST_SSHD_PORT:-2222}
AUTOPILOT_TEST_SSH_USER=$(id -un)
AUTOPILOT_TEST_SSH_IDENTITY=$STATE_ROOT/sshd/${AUTOPILOT_TEST_SSHD_PORT:-2222}/client_ed25519
AUTOPILOT_TEST_SSH_KNOWN_HOSTS=$STATE_ROOT/sshd/${AUTOPILOT_TEST_SSHD_PORT:-2222}/known_hosts
AUTOPILOT_TEST_SSH_WRONG_KNOWN_HOSTS=$STATE_ROOT/sshd/${AUTOPILOT_TEST_SSHD_PORT:-2222}/wrong_known_hosts
AUTOPILOT_TEST_SSHD_PID_FILE=$STATE_ROOT/sshd/${AUTOPILOT_TEST_SSHD_PORT:-2222}/sshd.pid
SGE_ROOT=/var/lib/gridengine
SGE_CELL=default
ENV
chmod 0644 "$STATE_ROOT/services.env"

took=$(awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
if [ ${#failed[@]} -gt 0 ]; then
  log "ERROR: services that failed to start: ${failed[*]} (${took} s)"
  exit 1
fi
log "all services up in ${took} s; connection facts in $STATE_ROOT/services.env"
