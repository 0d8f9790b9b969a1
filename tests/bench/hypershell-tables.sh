#!/usr/bin/env bash
# hypershell-tables.sh sqlite|postgres ROWS - makes (once) and names a HyperShell 2.8.2 task table of
# ROWS rows shaped like a campaign's history, for the benchmarks (docs/performance.md).
#
# Schema: exactly what `hs initdb` of HyperShell 2.8.2 writes (tests/fixtures/hypershell-2.8.2/sqlite-schema.sql
# and tests/bench/hypershell-2.8.2-postgres.sql, copied from ../shared/fixtures/hypershell-2.8.2), with its indexes index_tasks_unscheduled
# ("group", schedule_time) and index_tasks_retries (exit_status, retried).
# Rows, in submission order (i = 0 .. ROWS-1):
#   - groups of 50,000 tasks ("group" = (i + 25,000) / 50,000): the history grows by groups, and the
#     group being handed out is half scheduled, half pending;
#   - the last 10 % pending (schedule_time NULL), the 400 before them in flight (scheduled, started,
#     no completion_time), everything earlier finished;
#   - 1 % failures spread through the history: i % 100 = 37 failed at attempt 1 (exit 1, retried,
#     next_id = the next row), i % 100 = 38 is its retry (attempt 2, previous_id), which succeeded;
#     i % 1000 = 500 was cancelled (exit -1, completion_time set, as 2.8.2's cancel does).
# SQLite stores local time text as HyperShell does; PostgreSQL timestamps with zone.
#
# Prints the SQLite file path, or the PostgreSQL schema name (in the test database of
# /var/lib/autopilot-test/services.env). Tables are cached and reused: SQLite under
# ${BENCH_CACHE:-/var/tmp/autopilot-bench}, PostgreSQL as schema hsbench_<ROWS> (kept until dropped).
# FORCE=1 rebuilds.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
backend=${1:?usage: hypershell-tables.sh sqlite|postgres ROWS}
rows=${2:?usage: hypershell-tables.sh sqlite|postgres ROWS}
[[ $rows =~ ^[0-9]+$ ]] && [ "$rows" -ge 1000 ] || { echo "hypershell-tables: ROWS must be a whole number >= 1000, not '$rows'" >&2; exit 2; }
cache=${BENCH_CACHE:-/var/tmp/autopilot-bench}
pending_from=$(( rows * 9 / 10 ))
flight_from=$(( pending_from - 400 ))
log() { echo "hypershell-tables: $*" >&2; }

# One row's columns as SQL over i, shared by both backends through placeholders each fills in:
# TS(s) a timestamp s seconds after task i's submission, UUID(x) a task id made from x, ID('..') a
# fixed id, JSON(..) the tag.
columns() {
  cat <<SQL
  UUID(i),
  (i + 25000) / 50000,
  'echo ' || i,
  ID('00000000-0000-4000-8000-000000000000'),
  TS(0),
  'submit-host',
  CASE WHEN i < $pending_from THEN ID('00000000-0000-4000-8000-000000000001') END,
  CASE WHEN i < $pending_from THEN 'server-host' END,
  CASE WHEN i < $pending_from THEN TS(1) END,
  CASE WHEN i < $pending_from THEN ID('00000000-0000-4000-8000-000000000002') END,
  CASE WHEN i < $pending_from THEN 'client-host' END,
  CASE WHEN i < $pending_from THEN 'echo ' || i END,
  CASE WHEN i < $pending_from THEN TS(2) END,
  CASE WHEN i < $flight_from THEN TS(3) END,
  CASE WHEN i >= $flight_from THEN NULL WHEN i % 100 = 37 THEN 1 WHEN i % 1000 = 500 THEN -1 ELSE 0 END,
  CASE WHEN i % 100 = 38 AND i < $flight_from THEN 2 ELSE 1 END,
  i % 100 = 37 AND i < $flight_from,
  CASE WHEN i < $pending_from THEN 1 END,
  CASE WHEN i < $flight_from THEN 1 END,
  CASE WHEN i % 100 = 38 AND i < $flight_from THEN UUID(i - 1) END,
  CASE WHEN i % 100 = 37 AND i < $flight_from THEN UUID(i + 1) END,
  JSON(CASE WHEN i % 2 = 0 THEN '{"site": "a"}' ELSE '{"site": "b"}' END)
SQL
}
names='id, "group", args, submit_id, submit_time, submit_host, server_id, server_host, schedule_time,
  client_id, client_host, command, start_time, completion_time, exit_status, attempt, retried,
  waited, duration, previous_id, next_id, tag'

case "$backend" in
sqlite)
  db="$cache/hypershell-2.8.2-$rows.db"
  if [ "${FORCE:-0}" = 1 ] || [ ! -s "$db" ]; then
    mkdir -p "$cache"
    rm -f "$db" "$db.tmp"
    log "making $db ($rows rows; once)"
    # Tables first, HyperShell's two indexes after the load (the same schema, built faster).
    grep -v '^CREATE INDEX index_tasks' "$here/../fixtures/hypershell-2.8.2/sqlite-schema.sql" | sqlite3 "$db.tmp"
    sqlite3 "$db.tmp" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $rows - 1)
INSERT INTO task ($names)
SELECT $(columns | sed -E \
  -e "s/TS\(([0-9])\)/strftime('%Y-%m-%d %H:%M:%f', '2024-01-01', '+' || (i + \1) || ' seconds') || '000'/g" \
  -e "s/UUID\(([^)]*)\)/printf('%08x-0000-4000-8000-%012x', \1, \1)/g" \
  -e "s/ID\(('[^']*')\)/\1/g" -e "s/JSON\((.*)\)$/\1/")
FROM n;
COMMIT;
SQL
    grep '^CREATE INDEX index_tasks' "$here/../fixtures/hypershell-2.8.2/sqlite-schema.sql" | sqlite3 "$db.tmp"
    # No ANALYZE: HyperShell never runs it, so the planner sees what it sees in production.
    sqlite3 "$db.tmp" 'PRAGMA journal_mode = DELETE;' >/dev/null
    mv "$db.tmp" "$db"
  fi
  echo "$db"
  ;;
postgres)
  set -a; . /var/lib/autopilot-test/services.env; set +a
  export PGHOST=$AUTOPILOT_TEST_PG_HOST PGPORT=$AUTOPILOT_TEST_PG_PORT PGUSER=$AUTOPILOT_TEST_PG_USER \
    PGDATABASE=$AUTOPILOT_TEST_PG_DATABASE PGPASSFILE=$(mktemp)
  trap 'rm -f "$PGPASSFILE"' EXIT
  printf '*:*:*:*:%s\n' "$(cat "$AUTOPILOT_TEST_PG_PASSWORD_FILE")" >"$PGPASSFILE"
  chmod 600 "$PGPASSFILE"
  schema="hsbench_$rows"
  done_rows=$(psql -XAtq -v ON_ERROR_STOP=1 -c "SELECT obj_description('$schema.task'::regclass)" 2>/dev/null || true)
  if [ "${FORCE:-0}" = 1 ] || [ "$done_rows" != "complete $rows" ]; then
    log "making schema $schema ($rows rows; once)"
    ddl=$(sed "s/public\./$schema./g" "$here/hypershell-2.8.2-postgres.sql")
    {
      echo "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema;"
      # Tables, the load, then the keys and indexes pg_dump recreates after its data.
      awk '/^CREATE TABLE/{p=1} p{print} /;$/{p=0}' <<<"$ddl"
      echo "INSERT INTO $schema.task ($names) SELECT"
      columns | sed -E \
        -e "s/TS\(([0-9])\)/(timestamptz '2024-01-01 00:00:00+00' + make_interval(secs => i + \1))/g" \
        -e "s/UUID\(([^)]*)\)/('00000000-0000-4000-8000-' || lpad(to_hex(\1), 12, '0'))::uuid/g" \
        -e "s/ID\(('[^']*')\)/\1::uuid/g" -e "s/JSON\((.*)\)$/(\1)::jsonb/"
      echo "FROM generate_series(0, $rows - 1) AS i;"
      awk '/^ALTER TABLE|^CREATE INDEX/{p=1} p{print} /;$/{p=0}' <<<"$ddl"
      echo "ANALYZE $schema.task; VACUUM $schema.task;"
      echo "COMMENT ON TABLE $schema.task IS 'complete $rows';"
    } | psql -Xq -v ON_ERROR_STOP=1 >/dev/null
  fi
  echo "$schema"
  ;;
*) echo "hypershell-tables: backend is sqlite or postgres, not '$backend'" >&2; exit 2 ;;
esac
