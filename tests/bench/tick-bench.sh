#!/usr/bin/env bash
# tick-bench.sh - whole-process `autopilot tick` benchmark (issue 3; figures in docs/performance.md,
# "Whole-process tick").
#
# The case: a tick with nothing to change. One pool reads a HyperShell SQLite file of 1,000,000 task
# rows of which 100,000 are pending; 200 of its pilots wait in the real Slurm queue; the program is
# a ReadyToRun build. Measured: median wall time of the whole process (target < 200 ms, including
# the real squeue call), the same squeue command alone, process startup (`autopilot --version`),
# the engine's own debug timings (demand query, policy), and peak RSS (/usr/bin/time -v).
#
# Its table is the classic (pre-2.8) schema without groups; tests/bench/hypershell-bench.sh is the
# same measurement on HyperShell 2.8.2 tables shaped like production (groups, retries, 1 % failures),
# at 10k, 1M and 10M rows, SQLite and PostgreSQL, paired with `hs list --remaining --count`.
#
# Needs: the .NET 10 SDK, sqlite3, a running Slurm (tests/infra/start-slurm.sh), GNU time
# (/usr/bin/time, package `time`). hyperfine is used when installed, for a second opinion.
# The 200 pilots are submitted by autopilot itself (one array, job name <prefix>-<pool>, held back
# with --begin=now+1hour so they stay PENDING) and cancelled by name on exit.
#
# Environment: BENCH_DIR (default /tmp/autopilot-tick-bench; the database is kept there and reused),
# RUNS (default 30), AUTOPILOT_TEST_SLURM_PARTITION (default debug), SKIP_PUBLISH=1 to reuse the build,
# BUILD=composite for a self-contained ReadyToRun composite of the app and the .NET runtime (about
# 115 MB instead of 14 MB; less JIT at start-up) instead of the framework-dependent ReadyToRun
# build that deploy/install.sh makes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${BENCH_DIR:-/tmp/autopilot-tick-bench}"
RUNS="${RUNS:-30}"
PARTITION="${AUTOPILOT_TEST_SLURM_PARTITION:-debug}"
PUB="$DIR/publish"
APP="$PUB/autopilot"
DB="$DIR/tasks-1m.db"
CONF="$DIR/autopilot.toml"
PREFIX="apbench$$"
POOL=bench
JOB="$PREFIX-$POOL"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

say() { printf '== %s\n' "$*"; }
for tool in dotnet sqlite3 squeue sbatch scancel /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "tick-bench: $tool not found" >&2; exit 2; }
done
mkdir -p "$DIR"
cleanup() { scancel --name="$JOB" 2>/dev/null || true; }
trap cleanup EXIT

# ------------------------------------------------------------------ build
BUILD="${BUILD:-framework}"
case "$BUILD" in
  framework) PUBLISH_ARGS=(--self-contained false -p:PublishAot=false -p:PublishReadyToRun=true) ;;
  composite) PUBLISH_ARGS=(--self-contained true -p:PublishAot=false -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true) ;;
  aot) PUBLISH_ARGS=(-p:PublishAot=true) ;;   # the shipped build (deploy/install.sh)
  *) echo "tick-bench: BUILD is framework, composite or aot, not $BUILD" >&2; exit 2 ;;
esac
if [ "${SKIP_PUBLISH:-0}" != 1 ] || [ ! -x "$APP" ]; then
  say "publish ($BUILD, linux-x64)"
  # The ReadyToRun step is incremental on its inputs only: code compiled for the other kind of
  # build would be reused (and a framework-dependent app then crashes at start).
  rm -rf "$PUB" "$ROOT"/src/*/obj/Release/net10.0/linux-x64/R2R
  dotnet publish "$ROOT/src/Autopilot.Cli" -c Release -r linux-x64 "${PUBLISH_ARGS[@]}" \
    -o "$PUB" -nologo >"$DIR/publish.log" 2>&1 \
    || { tail -n 20 "$DIR/publish.log"; exit 1; }
fi
echo "build: $BUILD, $(du -sh "$PUB" | cut -f1)"
"$APP" --version

# ------------------------------------------------------------------ data
# HyperShell's task table (as HyperShellTestDatabase creates it): 890,000 succeeded, 10,000 failed
# (not retryable: max_retries is 0), then the 100,000 most recent still pending.
if [ ! -s "$DB" ]; then
  say "generating $DB (1,000,000 tasks, 100,000 pending)"
  rm -f "$DB"
  sqlite3 "$DB" < "$ROOT/tests/bench/hypershell-classic-tables.sql"
  sqlite3 "$DB" <<'SQL'
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
INSERT INTO task (id, args, submit_id, submit_time, submit_host, server_id, server_host, schedule_time,
                  client_id, client_host, command, start_time, completion_time, exit_status,
                  attempt, retried, waited, duration, tag)
SELECT printf('%08x-0000-4000-8000-%012x', i, i), 'echo ' || i, '00000000-0000-0000-0000-000000000000',
       datetime('2024-01-01', '+' || i || ' seconds'), 'submit-host',
       CASE WHEN i < 900000 THEN '00000000-0000-0000-0000-000000000000' END,
       CASE WHEN i < 900000 THEN 'server-host' END,
       CASE WHEN i < 900000 THEN datetime('2024-01-01', '+' || (i + 1) || ' seconds') END,
       CASE WHEN i < 900000 THEN '00000000-0000-0000-0000-000000000000' END,
       CASE WHEN i < 900000 THEN 'client-host' END,
       CASE WHEN i < 900000 THEN 'echo ' || i END,
       CASE WHEN i < 900000 THEN datetime('2024-01-01', '+' || (i + 2) || ' seconds') END,
       CASE WHEN i < 900000 THEN datetime('2024-01-01', '+' || (i + 3) || ' seconds') END,
       CASE WHEN i < 890000 THEN 0 WHEN i < 900000 THEN 1 END,
       1, 0,
       CASE WHEN i < 900000 THEN 2 END, CASE WHEN i < 900000 THEN 1 END, '{}'
FROM n;
COMMIT;
SQL
  sqlite3 "$DB" < "$ROOT/tests/bench/hypershell-classic-indexes.sql"
  sqlite3 "$DB" 'ANALYZE;'
fi
echo "tasks: $(sqlite3 "$DB" 'SELECT count(*) FROM task'), pending: $(sqlite3 "$DB" 'SELECT count(*) FROM task WHERE schedule_time IS NULL'), file $(du -h "$DB" | cut -f1)"

# ------------------------------------------------------------------ configuration
# max_pilots 200 x tasks_per_pilot 500 = the 100,000 pending: desired 200, the count is not cut short.
rm -rf "$DIR/state"
cat >"$CONF" <<TOML
state_dir = "$DIR/state"
job_prefix = "$PREFIX"
[[pool]]
name = "$POOL"
template = "$ROOT/tests/fixtures/templates/sleep-pilot.sh"
[pool.demand]
kind = "hypershell"
backend = "sqlite"
path = "$DB"
[pool.scheduler]
kind = "slurm"
queue = "$PARTITION"
walltime = "01:00:00"
extra_args = ["--begin=now+1hour"]
[pool.limits]
max_pilots = 200
tasks_per_pilot = 500
max_queued = 200
max_submit_per_tick = 200
TOML

say "first tick: submits the 200 pilots (one array)"
"$APP" tick -c "$CONF"
for i in $(seq 1 50); do
  [ "$(squeue --me -h -r --name="$JOB" | wc -l)" -ge 200 ] && break
  sleep 0.2
done
echo "pilots in the queue: $(squeue --me -h -r --name="$JOB" | wc -l)"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
say "a tick with nothing to change (-v)"
"$APP" tick -v -c "$CONF" 2>&1 | tee "$DIR/tick-v.log"
grep -q ': no change \[Steady' "$DIR/tick-v.log" || { echo "tick-bench: the tick changed something; not a no-op benchmark" >&2; exit 1; }
SQUEUE_ARGS=$(grep -o "DBG\] run: squeue .*" "$DIR/tick-v.log" | head -n1 | sed 's/^DBG\] run: squeue //')
echo "squeue arguments: $SQUEUE_ARGS"

# ------------------------------------------------------------------ timing
# median_ms CMD...: runs CMD $RUNS times (after 3 warm-ups); prints wall time min / median / p90 and
# the median CPU time (user + system, the process and its children such as squeue). On a busy
# machine the wall time is mostly waiting for a CPU; the CPU time is what the tick itself costs.
median_ms() {
  local log t0 t1
  log=$(mktemp)
  for _ in 1 2 3; do "$@" >/dev/null 2>&1 || true; done
  for _ in $(seq 1 "$RUNS"); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S' -o "$log.cpu" "$@" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 )) $(tail -n1 "$log.cpu")" >>"$log"
  done
  awk '{ print $1 }' "$log" | sort -n | awk -v n="$RUNS" '{ a[NR] = $1 } END { printf "wall min %.1f ms, median %.1f ms, p90 %.1f ms", a[1] / 1000, a[int((n + 1) / 2)] / 1000, a[int(n * 0.9)] / 1000 }'
  awk '{ printf "%.0f\n", ($2 + $3) * 1000 }' "$log" | sort -n | awk -v n="$RUNS" '{ a[NR] = $1 } END { printf "; cpu median %d ms (%d runs)\n", a[int((n + 1) / 2)], n }'
  rm -f "$log" "$log.cpu"
}

say "whole-process tick (nothing to change)"
echo "tick:      $(median_ms "$APP" tick -c "$CONF")"
say "squeue alone, same arguments"
# The arguments exactly as autopilot ran them (it printed them shell-quoted).
eval "SQ_ARGS=($SQUEUE_ARGS)"
echo "squeue:    $(median_ms env SLURM_TIME_FORMAT=standard squeue "${SQ_ARGS[@]}")"
say "startup (autopilot --version)"
echo "--version: $(median_ms "$APP" --version)"

if command -v hyperfine >/dev/null; then
  say "hyperfine (second opinion)"
  # The last command: the same tick with tiered PGO off (the CLI project turns it on for `autopilot run`).
  # -i: a tick that finds slurmctld briefly unreachable exits 1 (fail closed); one such run must not
  # end the benchmark (the log file in the state directory names it).
  hyperfine -N -i --warmup 3 --runs "$RUNS" --export-markdown "$DIR/hyperfine.md" \
    "$APP tick -c $CONF" "$APP --version" "env DOTNET_TieredPGO=0 $APP tick -c $CONF" >/dev/null
  cat "$DIR/hyperfine.md"
fi

say "engine and process timings (-v, 5 ticks)"
# tick timings: the engine's parts (wall, and CPU of this process); process timings: each start-up
# phase from Main (wall, CPU, methods the JIT compiled in it), "before Main" from /proc/self/stat.
for _ in 1 2 3 4 5; do
  "$APP" tick -v -c "$CONF" 2>&1 | grep -E 'hypershell sqlite|exit 0 after .* squeue|policy decided|tick timings|process timings' | sed 's/^/  /'
done

say "peak memory (/usr/bin/time -v)"
/usr/bin/time -v "$APP" tick -c "$CONF" 2>&1 | grep -E 'Maximum resident set size|Elapsed \(wall'

echo "ticks of this run that failed (fail closed, e.g. slurmctld unreachable): $(cat "$DIR"/state/logs/*.log 2>/dev/null | grep -c 'nothing done' || true)"

say "done; cancelling the 200 pilots ($JOB)"
