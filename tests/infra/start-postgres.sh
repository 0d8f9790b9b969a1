#!/usr/bin/env bash
# start-postgres.sh - PostgreSQL 15 (Debian 12 postgresql-15) on 127.0.0.1:5432, without systemd.
#
# Idempotent: installs what is missing, creates cluster 15/main if absent, starts it with
# pg_ctlcluster if it is not online, makes sure TCP from 127.0.0.1 uses password auth, and creates
# (or re-passwords) role 'autopilot' with a generated password kept in
# /var/lib/autopilot-test/pg.pass (0600) and database 'autopilot_test' owned by it.
# The password only travels on psql's stdin and in a 0600 pgpass file: never on a command line.
set -euo pipefail
LOG_TAG=start-postgres
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need_root

VER=15
CLUSTER=main
PORT="${AUTOPILOT_TEST_PG_PORT:-5432}"
ROLE="${AUTOPILOT_TEST_PG_USER:-autopilot}"
DB="${AUTOPILOT_TEST_PG_DATABASE:-autopilot_test}"
PASS_FILE="${AUTOPILOT_TEST_PG_PASSWORD_FILE:-$STATE_ROOT/pg.pass}"
CONF_DIR=/etc/postgresql/$VER/$CLUSTER
HBA=$CONF_DIR/pg_hba.conf

apt_install postgresql-$VER postgresql-client-$VER

if ! pg_lsclusters -h | awk -v v=$VER -v c=$CLUSTER '$1==v && $2==c {f=1} END {exit !f}'; then
  log "creating cluster $VER/$CLUSTER on port $PORT"
  pg_createcluster --port="$PORT" $VER $CLUSTER >/dev/null
fi
cport=$(pg_lsclusters -h | awk -v v=$VER -v c=$CLUSTER '$1==v && $2==c {print $3}')
[ "$cport" = "$PORT" ] || die "cluster $VER/$CLUSTER uses port $cport, expected $PORT"

# 'localhost' (the Debian default) already binds 127.0.0.1; only a cluster that does not listen
# there is changed (that needs a restart).
reload=0 restart=0
listen=$(runuser -u postgres -- sh -c "grep -E '^\s*listen_addresses' $CONF_DIR/postgresql.conf $CONF_DIR/conf.d/*.conf 2>/dev/null | tail -n1" || true)
if [ -n "$listen" ] && ! echo "$listen" | grep -Eq "'(localhost|127\.0\.0\.1|\*)"; then
  install -d -o postgres -g postgres "$CONF_DIR/conf.d"
  echo "listen_addresses = 'localhost'" > "$CONF_DIR/conf.d/autopilot-test.conf"
  chown postgres:postgres "$CONF_DIR/conf.d/autopilot-test.conf"
  log "listen_addresses set to localhost"; restart=1
fi
# TCP from loopback must ask for a password (md5 or scram); add a rule at the top if no rule does.
if ! grep -Eq '^\s*host\s+all\s+all\s+127\.0\.0\.1/32\s+(md5|scram-sha-256)\s*$' "$HBA"; then
  sed -i '1i host all all 127.0.0.1/32 scram-sha-256' "$HBA"
  log "pg_hba.conf: password auth for 127.0.0.1"; reload=1
fi

status=$(pg_lsclusters -h | awk -v v=$VER -v c=$CLUSTER '$1==v && $2==c {print $4}')
if [ "$status" = online ] && [ "$restart" = 1 ]; then
  pg_ctlcluster $VER $CLUSTER restart
elif [ "$status" != online ]; then
  log "starting cluster $VER/$CLUSTER"
  install -d -o postgres -g postgres -m 2775 /var/run/postgresql
  pg_ctlcluster $VER $CLUSTER start || die "pg_ctlcluster start failed (see /var/log/postgresql/postgresql-$VER-$CLUSTER.log)"
elif [ "$reload" = 1 ]; then
  pg_ctlcluster $VER $CLUSTER reload
fi
for i in $(seq 1 100); do pg_isready -q -h 127.0.0.1 -p "$PORT" && break; sleep 0.1; done
pg_isready -q -h 127.0.0.1 -p "$PORT" || die "PostgreSQL not accepting connections on 127.0.0.1:$PORT"

PASS=$(gen_secret "$PASS_FILE")
psql_admin() { runuser -u postgres -- psql -p "$PORT" -X -q -v ON_ERROR_STOP=1 "$@"; }
# The password goes through stdin; ALTER keeps an existing role in step with the file.
psql_admin -d postgres <<SQL >/dev/null
SET log_statement = 'none';
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE "$ROLE" LOGIN CREATEDB PASSWORD '$PASS';
  ELSE
    ALTER ROLE "$ROLE" LOGIN CREATEDB PASSWORD '$PASS';
  END IF;
END
\$\$;
SQL
if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  log "creating database $DB"
  psql_admin -d postgres -c "CREATE DATABASE \"$DB\" OWNER \"$ROLE\"" >/dev/null
fi

# Check the way the tests connect: TCP, password from the file.
PGPASS_TMP=$(mktemp); trap 'rm -f "$PGPASS_TMP"' EXIT
chmod 0600 "$PGPASS_TMP"
printf '127.0.0.1:%s:%s:%s:%s\n' "$PORT" "$DB" "$ROLE" "$PASS" > "$PGPASS_TMP"
got=$(PGPASSFILE=$PGPASS_TMP psql -X -w -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DB" -tAc 'SELECT current_user') \
  || die "cannot log in as $ROLE over TCP with the password from $PASS_FILE"
[ "$got" = "$ROLE" ] || die "logged in as '$got', expected '$ROLE'"

log "ready: postgresql://$ROLE@127.0.0.1:$PORT/$DB (password in $PASS_FILE)"
