#!/usr/bin/env bash
# soak.sh - memory soak of `autopilot run` (a benchmark, not part of the test suite).
#
#   tests/bench/soak.sh [DURATION_SECONDS]      (default 600: ten minutes, 600 ticks)
#
# Runs `autopilot run` ticking every second ("*/1 * * * * *") against a HyperShell SQLite task
# database and the real Slurm (partition $AUTOPILOT_TEST_SLURM_PARTITION, default debug), samples
# VmRSS from /proc/<pid>/status every 10 s, and prints the samples, the start and end RSS, and the
# least-squares slope in KB/min (over all samples, and after a two-minute warm-up). Pilots run
# `sleep 90`, so one ends and a new one is submitted about every 90 s: list, outcome (sacct) and
# submit paths all run, not only the idle one. Every pilot is cancelled at the end.
#
# Environment: AUTOPILOT (the binary; default: the Release build output), SOAK_KEEP=1 keeps the
# temp folder (state, logs, samples), SOAK_ROWS (see below), SOAK_INTERVAL (seconds between samples,
# default 10). DOTNET_* GC variables pass through.
set -euo pipefail

duration=${1:-600}
interval=${SOAK_INTERVAL:-10}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
autopilot=${AUTOPILOT:-$repo/src/Autopilot.Cli/bin/Release/net10.0/autopilot}
partition=${AUTOPILOT_TEST_SLURM_PARTITION:-debug}
[ -x "$autopilot" ] || { echo "soak: no $autopilot; build first: dotnet build -c Release (or set AUTOPILOT)" >&2; exit 2; }
for c in sqlite3 sbatch squeue scancel; do
  command -v "$c" >/dev/null || { echo "soak: $c not found (sqlite3: apt-get install sqlite3; Slurm: tests/infra/start-slurm.sh)" >&2; exit 2; }
done

dir=$(mktemp -d /tmp/autopilot-soak-XXXXXX)
prefix="apsoak$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
job="$prefix-main"
pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  scancel --name="$job" 2>/dev/null || true     # only this run's pilots
  if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "soak: kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

# A HyperShell (classic schema) task database with 5 pending tasks: one pilot's worth; or, with
# SOAK_ROWS=N, the HyperShell 2.8.2 table of N rows of tests/bench/hypershell-tables.sh (made once,
# read only here: the pool's one pilot is always wanted).
db="$dir/main.db"
if [ -n "${SOAK_ROWS:-}" ]; then
  db=$("$repo/tests/bench/hypershell-tables.sh" sqlite "$SOAK_ROWS")
  echo "soak: demand from $db"
fi
sqlite3 "$dir/main.db" < "$repo/tests/bench/hypershell-classic-tables.sql"
sqlite3 "$dir/main.db" < "$repo/tests/bench/hypershell-classic-indexes.sql"
sqlite3 "$dir/main.db" <<'SQL'
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5)
INSERT INTO task (id, args, submit_id, submit_time, attempt, retried, tag)
SELECT printf('soak-%04d', i), 'sleep 1', 'soak', '2024-01-01 00:00:00', 1, 0, '{}' FROM n;
SQL

printf '#!/bin/sh\n# soak pilot: holds a slot for 90 s\nsleep 90\n' > "$dir/pilot.sh"
chmod 0755 "$dir/pilot.sh"
cat > "$dir/autopilot.toml" <<EOF
state_dir = "$dir/state"
schedule = "*/1 * * * * *"
job_prefix = "$prefix"

[[pool]]
name = "main"
template = "$dir/pilot.sh"
[pool.demand]
kind = "hypershell"
backend = "sqlite"
path = "$db"
[pool.scheduler]
kind = "slurm"
queue = "$partition"
walltime = "00:20:00"
drain_lead = "1m"
[pool.limits]
max_pilots = 1
tasks_per_pilot = 5
[pool.policy]
min_useful_walltime = "1m"
min_pilot_runtime = "30s"
EOF
"$autopilot" check --config "$dir/autopilot.toml" >/dev/null

"$autopilot" run --config "$dir/autopilot.toml" >"$dir/run.log" 2>&1 &
pid=$!
echo "soak: autopilot run (pid $pid) for ${duration}s, every second; job name $job; samples every ${interval}s"
sleep 2
start=$(date +%s.%N)
: > "$dir/samples"
while :; do
  now=$(date +%s.%N)
  t=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
  # VmRSS, then its anonymous part (heaps, stacks) and its file part (the binary's pages, libraries).
  rss=$(awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s ", $2 }' "/proc/$pid/status" 2>/dev/null) || { echo "soak: autopilot died; log:" >&2; tail -n 20 "$dir/run.log" >&2; exit 1; }
  echo "$t $rss" | tee -a "$dir/samples"
  awk -v t="$t" -v d="$duration" 'BEGIN { exit !(t + 0 >= d + 0) }' && break
  sleep "$interval"
done

kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
pid=""
ticks=$(grep -c "pool main: demand" "$dir/run.log" || true)
failed=$(grep -c "ERR\]" "$dir/run.log" || true)
submitted=$(grep -c "pool main: demand.*: submitted [0-9]" "$dir/run.log" || true)

# Least-squares slope of RSS (KB) against time (minutes).
slope() { awk -v from="$1" '$1 >= from { n++; x = $1 / 60; sx += x; sy += $2; sxx += x * x; sxy += x * $2 }
  END { if (n < 2) { print "n/a"; exit } printf "%.1f", (n * sxy - sx * sy) / (n * sxx - sx * sx) }' "$dir/samples"; }
first=$(head -n1 "$dir/samples" | cut -d' ' -f2)
last=$(tail -n1 "$dir/samples" | cut -d' ' -f2)
max=$(sort -k2 -n "$dir/samples" | tail -n1 | cut -d' ' -f2)
echo "soak: exit code $rc after SIGTERM; $ticks ticks, $submitted with a submission, $failed error lines"
echo "soak: RSS start ${first} KB, end ${last} KB, max ${max} KB"
echo "soak: slope $(slope 0) KB/min over all samples, $(slope 120) KB/min after a 2-minute warm-up"
# A heap's saw-tooth puts single samples anywhere between its floor and its peak, so a fit of all
# samples wanders with where the teeth fall. Growth shows in the floor (what stays after the
# collections) and the peak of each minute: both fitted from minute 1 on.
# Whole minutes only: the last sample alone would make a minute of its own.
awk -v d="$duration" '$1 < int(d / 60) * 60 { m = int($1 / 60)
    if (!(m in lo) || $2 < lo[m]) lo[m] = $2; if (!(m in hi) || $2 > hi[m]) hi[m] = $2
    if (!(m in alo) || $3 < alo[m]) alo[m] = $3; if (!(m in ahi) || $3 > ahi[m]) ahi[m] = $3; f[m] = $4 }
  END { for (m in lo) print m, lo[m], hi[m], alo[m], ahi[m], f[m] }' "$dir/samples" | sort -n > "$dir/minutes"
echo "soak: per minute (minute, RSS floor, RSS peak, anonymous floor, anonymous peak, file at the minute's end; KB):"
sed 's/^/  /' "$dir/minutes"
fit() { awk -v col="$1" '$1 >= 1 { n++; sx += $1; sy += $col; sxx += $1 * $1; sxy += $1 * $col }
  END { if (n < 2) { print "n/a"; exit } printf "%.1f", (n * sxy - sx * sy) / (n * sxx - sx * sx) }' "$dir/minutes"; }
echo "soak: slope from minute 1: floor $(fit 2) KB/min, peak $(fit 3) KB/min"
[ "$rc" = 0 ]
