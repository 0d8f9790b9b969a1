#!/usr/bin/env bash
# start-couchdb.sh - a CouchDB-compatible server on 127.0.0.1:5984: pouchdb-server (npm registry)
# in --in-memory mode, in the background with a pid file and a log file, without systemd.
#
# Idempotent: installs Node.js/npm (Debian) and pouchdb-server (npm) if missing; leaves a running
# server alone when the admin password from the file still works, else (re)starts it. Every start
# begins with an empty config, so the admin user 'admin' always gets the password kept in
# /var/lib/autopilot-test/couchdb.pass (0600). Finally it checks that a view query answers.
#
# Known pouchdb-server 4.2 quirk: once an admin exists, an UNAUTHENTICATED 'PUT /newdb' crashes the
# server ('db.info is not a function'). Clients must always send credentials.
#
# Environment: AUTOPILOT_TEST_COUCHDB_URL (http://127.0.0.1:5984; only loopback host and port are
# used), AUTOPILOT_TEST_COUCHDB_USER (admin), AUTOPILOT_TEST_COUCHDB_PASSWORD_FILE.
set -euo pipefail
LOG_TAG=start-couchdb
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

URL="${AUTOPILOT_TEST_COUCHDB_URL:-http://127.0.0.1:5984}"
URL="${URL%/}"
PORT="${URL##*:}"
case "$PORT" in ''|*[!0-9]*) die "AUTOPILOT_TEST_COUCHDB_URL must be http://127.0.0.1:PORT (got $URL)";; esac
USER_NAME="${AUTOPILOT_TEST_COUCHDB_USER:-admin}"
PASS_FILE="${AUTOPILOT_TEST_COUCHDB_PASSWORD_FILE:-$STATE_ROOT/couchdb.pass}"
# One folder per port: a second server on another port never touches the first one's pid file.
DIR=$STATE_ROOT/couchdb/$PORT
PID_FILE=$DIR/pouchdb-server.pid
LOG_FILE=$DIR/pouchdb-server.log

# ---------------------------------------------------------------- packages
command -v curl >/dev/null || apt_install curl ca-certificates
command -v npm >/dev/null || apt_install nodejs npm
NPM_BIN="$(npm prefix -g 2>/dev/null)/bin"
BIN="$NPM_BIN/pouchdb-server"
if [ ! -x "$BIN" ]; then
  # Its sqlite3/leveldown modules build from source when no prebuilt binary can be fetched.
  { command -v make && command -v g++ && command -v python3; } >/dev/null || apt_install make g++ python3
  log "installing pouchdb-server from the npm registry (a few minutes: native modules build)"
  npm install -g --no-fund --no-audit pouchdb-server >"$STATE_ROOT/npm-install.log" 2>&1 \
    || { tail -n 20 "$STATE_ROOT/npm-install.log" >&2; die "npm install -g pouchdb-server failed (log: $STATE_ROOT/npm-install.log)"; }
fi
[ -x "$BIN" ] || die "pouchdb-server not found at $BIN after npm install"

install -d -m 0700 "$STATE_ROOT/couchdb" "$DIR"
PASS=$(gen_secret "$PASS_FILE")

# curl reads the credentials from a 0600 config file, so they never show up in 'ps'.
CURLRC=$(mktemp); BODY=$(mktemp); trap 'rm -f "$CURLRC" "$BODY"' EXIT
chmod 0600 "$CURLRC" "$BODY"
printf 'user = "%s:%s"\n' "$USER_NAME" "$PASS" > "$CURLRC"
acurl() { curl -sS --max-time 10 -K "$CURLRC" "$@"; }

server_alive() {  # our pouchdb-server (node running the pouchdb-server script), not a zombie
  pid_alive "$PID_FILE" node && tr '\0' ' ' < "/proc/$(pid_of "$PID_FILE")/cmdline" | grep -q pouchdb-server
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }
login_ok() { acurl "$URL/_session" 2>/dev/null | grep -q "\"name\":\"$USER_NAME\""; }

if server_alive && ! login_ok; then
  log "running server does not accept the password in $PASS_FILE: restarting it"
  stop_pidfile "$PID_FILE" node
fi

if ! server_alive; then
  rm -f "$PID_FILE"
  port_open && die "port $PORT is taken by another program (not our pouchdb-server; see 'ss -ltnp')"
  # A fresh config: no admins yet, so the first request below may create ours.
  rm -f "$DIR/config.json"
  log "starting pouchdb-server --in-memory on 127.0.0.1:$PORT (log: $LOG_FILE)"
  cd "$DIR"
  # setsid: the server must outlive this script's session and never hold its stdout.
  ( exec setsid "$BIN" --in-memory --host 127.0.0.1 --port "$PORT" --config "$DIR/config.json" \
      </dev/null >>"$LOG_FILE" 2>&1 ) &
  echo $! > "$PID_FILE"
  cd - >/dev/null
  for i in $(seq 1 150); do
    curl -s --max-time 2 "$URL/" 2>/dev/null | grep -q '"express-pouchdb"' && break
    server_alive || die "pouchdb-server exited at start: $(tail -n 5 "$LOG_FILE")"
    sleep 0.2
  done
  curl -s --max-time 2 "$URL/" | grep -q '"express-pouchdb"' || die "pouchdb-server not answering on $URL (log: $LOG_FILE)"
  printf '"%s"' "$PASS" > "$BODY"
  curl -sS --max-time 10 -X PUT "$URL/_config/admins/$USER_NAME" --data-binary "@$BODY" >/dev/null \
    || die "could not create admin user $USER_NAME"
fi
login_ok || die "admin $USER_NAME cannot log in to $URL with the password in $PASS_FILE"

# ---------------------------------------------------------------- a view query must work
DB=autopilot_infra_check
acurl -o /dev/null -X DELETE "$URL/$DB" || true
acurl -X PUT "$URL/$DB" | grep -q '"ok":true' || die "cannot create database $DB"
acurl -X PUT "$URL/$DB/_design/check" -H 'Content-Type: application/json' \
  -d '{"views":{"by_state":{"map":"function (doc) { if (doc.state) { emit(doc.state, 1); } }"}}}' \
  | grep -q '"ok":true' || die "cannot create design document in $DB"
acurl -X POST "$URL/$DB/_bulk_docs" -H 'Content-Type: application/json' \
  -d '{"docs":[{"state":"todo"},{"state":"todo"},{"state":"done"}]}' | grep -q '"ok":true' \
  || die "cannot write documents to $DB"
view=$(acurl "$URL/$DB/_design/check/_view/by_state?key=%22todo%22")
n=$(printf '%s' "$view" | grep -o '"key":"todo"' | wc -l)
[ "$n" = 2 ] || die "view query returned $n rows for key todo, expected 2: $view"
acurl -o /dev/null -X DELETE "$URL/$DB" || true

log "ready: $URL (admin $USER_NAME, password in $PASS_FILE; pid $(pid_of "$PID_FILE"); view query ok)"
