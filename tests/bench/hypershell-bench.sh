#!/usr/bin/env bash
# hypershell-bench.sh - whole-process `autopilot tick` and `plan` against HyperShell 2.8.2 tables of
# 10k, 1M and 10M rows (tests/bench/hypershell-tables.sh; SQLite and PostgreSQL), in paired runs
# with HyperShell's own count (`hs list --remaining --count`) and the floor (the same remaining count
# by sqlite3 / psql). Figures: docs/performance.md, "HyperShell 2.8 demand at 10k, 1M and 10M rows".
#
#   tests/bench/hypershell-bench.sh                # everything
#   SIZES="1000000 10000000" BACKENDS=sqlite tests/bench/hypershell-bench.sh
#
# The pool: max_pilots 200 x tasks_per_pilot 100, its 200 pilots queued in the real Slurm queue,
# submitted by a first untimed tick (autopilot counts only the pilots it recorded) from a template
# that starts two hours later (#SBATCH --begin=now+2hours: pending for BeginTime, queued supply that
# never runs, so the shared Slurm node stays free); job name <unique prefix>-bench, cancelled on
# exit. One state folder for every table, so those 200 are submitted once. At 1M and 10M rows the active
# group holds 25,000 pending tasks, so the tick has nothing to change; at 10k rows (1,400 tasks) it
# would cancel pilots, so only `plan` (the same reads, no action) is timed there.
#
# Needs: a published autopilot (AUTOPILOT, default: publishes it as deploy/install.sh does, Native AOT,
# to $BENCH_DIR/publish; AUTOPILOT_B: a second build, e.g. ReadyToRun, timed in the same rounds as
# tickB / planB, with the median ratio of B to A),
# sqlite3, psql, Slurm, hs (../shared/tools/install-hypershell.sh; skipped with a note when absent),
# /usr/bin/time. RUNS (default 21) runs per command, alternating between the commands of a table.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${BENCH_DIR:-/tmp/autopilot-hs-bench}
RUNS=${RUNS:-21}
SIZES=${SIZES:-10000 1000000 10000000}
BACKENDS=${BACKENDS:-sqlite postgres}
PARTITION=${AUTOPILOT_TEST_SLURM_PARTITION:-debug}
PREFIX="aphs$(od -An -N3 -tx1 /dev/urandom | tr -d ' ')"
JOB="$PREFIX-bench"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0
mkdir -p "$DIR"
for tool in sqlite3 psql sbatch squeue scancel /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "hypershell-bench: $tool not found" >&2; exit 2; }
done
set -a; . /var/lib/autopilot-test/services.env; set +a
export PGHOST=$AUTOPILOT_TEST_PG_HOST PGPORT=$AUTOPILOT_TEST_PG_PORT PGUSER=$AUTOPILOT_TEST_PG_USER PGDATABASE=$AUTOPILOT_TEST_PG_DATABASE
export PGPASSFILE="$DIR/pgpass"
printf '*:*:*:*:%s\n' "$(cat "$AUTOPILOT_TEST_PG_PASSWORD_FILE")" >"$PGPASSFILE"; chmod 600 "$PGPASSFILE"
cleanup() { scancel --name="$JOB" 2>/dev/null || true; rm -f "$PGPASSFILE"; }
trap cleanup EXIT

APP=${AUTOPILOT:-$DIR/publish/autopilot}
if [ -z "${AUTOPILOT:-}" ] && { [ "${SKIP_PUBLISH:-0}" != 1 ] || [ ! -x "$APP" ]; }; then
  echo "== publish (Native AOT, as deploy/install.sh)"
  rm -rf "$DIR/publish"
  dotnet publish "$ROOT/src/Autopilot.Cli" -c Release -r linux-x64 -p:PublishAot=true \
    -o "$DIR/publish" -nologo >"$DIR/publish.log" 2>&1 || { tail -n 20 "$DIR/publish.log"; exit 1; }
fi
APP_B=${AUTOPILOT_B:-}
HS=$(command -v hs || true)
[ -n "$HS" ] || echo "note: hs (HyperShell 2.8.2) not installed: no ratio (../shared/tools/install-hypershell.sh installs it)"

# ---------------------------------------------------------------- the 200 queued pilots' template
cat >"$DIR/hold.sh" <<'EOS'
#!/bin/sh
#SBATCH --begin=now+2hours
sleep 600
EOS

config() { # backend rows source -> $DIR/<backend>-<rows>.toml
  local conf="$DIR/$1-$2.toml" demand
  if [ "$1" = sqlite ]; then
    demand="backend = \"sqlite\"
path = \"$3\""
  else
    demand="backend = \"postgres\"
[pool.demand.postgres]
host = \"$PGHOST\"
port = $PGPORT
database = \"$PGDATABASE\"
user = \"$PGUSER\"
password_file = \"$AUTOPILOT_TEST_PG_PASSWORD_FILE\"
schema = \"$3\"
ssl_mode = \"${SSL_MODE:-prefer}\""
  fi
  cat >"$conf" <<TOML
state_dir = "$DIR/state"
job_prefix = "$PREFIX"
[[pool]]
name = "bench"
template = "$DIR/hold.sh"
[pool.scheduler]
kind = "slurm"
queue = "$PARTITION"
walltime = "01:00:00"
[pool.limits]
max_pilots = 200
tasks_per_pilot = 100
max_queued = 200
max_submit_per_tick = 200
[pool.demand]
kind = "hypershell"
$demand
TOML
  echo "$conf"
}

# stats FILE: wall median / min / p90, median CPU (ms) and the largest peak RSS of the lines "wall_us user_s sys_s maxrss_kb".
stats() {
  awk '{ print $1 }' "$1" | sort -n | awk '{ a[NR] = $1 } END { printf "median %.1f ms (min %.1f, p90 %.1f)", a[int((NR + 1) / 2)] / 1000, a[1] / 1000, a[int(NR * 0.9)] / 1000 }'
  awk '{ printf "%.0f\n", ($2 + $3) * 1000 }' "$1" | sort -n | awk '{ a[NR] = $1 } END { printf ", cpu %d ms", a[int((NR + 1) / 2)] }'
  awk '{ print $4 }' "$1" | sort -n | awk '{ a[NR] = $1 } END { printf ", peak RSS %.1f MB", a[NR] / 1024 }'
}
median() { awk '{ print $1 }' "$1" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
one() { # log cmd... : one timed run appended to log
  local log=$1 t0 t1; shift
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$log.cpu" "$@" >"$log.out" 2>&1 || echo "  (exit $? from $*)" >&2
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000 )) $(tail -n1 "$log.cpu")" >>"$log"
}

for backend in $BACKENDS; do
  for rows in $SIZES; do
    source=$("$ROOT/tests/bench/hypershell-tables.sh" "$backend" "$rows")
    conf=$(config "$backend" "$rows" "$source")
    echo
    echo "== $backend, $rows rows ($source); load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "$APP" plan -c "$conf" | grep -E 'demand|desired|rule' | head -n 4 | sed 's/^/  plan: /'
    if [ "$backend" = sqlite ]; then
      # The floor: the count hs itself runs for --remaining ("-w exit_status == null"), by the client.
      floor=(sqlite3 "$source" "SELECT count(*) FROM task WHERE exit_status IS NULL")
      hs_cmd=(env HYPERSHELL_DATABASE_FILE="$source" "$HS" list --remaining --count)
    else
      floor=(psql -XAtq -c "SELECT count(*) FROM $source.task WHERE exit_status IS NULL")
      hs_cmd=(env HYPERSHELL_DATABASE_PROVIDER=postgres HYPERSHELL_DATABASE_HOST="$PGHOST" HYPERSHELL_DATABASE_PORT="$PGPORT"
        HYPERSHELL_DATABASE_DATABASE="$PGDATABASE" HYPERSHELL_DATABASE_USER="$PGUSER"
        HYPERSHELL_DATABASE_PASSWORD="$(cat "$AUTOPILOT_TEST_PG_PASSWORD_FILE")" HYPERSHELL_DATABASE_SCHEMA="$source"
        "$HS" list --remaining --count)
    fi
    echo "  remaining (floor query): $("${floor[@]}")${HS:+, hs: $("${hs_cmd[@]}" 2>&1 | tail -n1)}"
    kinds=(plan floor); [ "$rows" -ge 1000000 ] && kinds=(tick "${kinds[@]}"); [ -n "$HS" ] && kinds+=(hs)
    if [ -n "$APP_B" ]; then kinds+=(planB); [ "$rows" -ge 1000000 ] && kinds+=(tickB); fi
    rm -f "$DIR"/{tick,plan,floor,hs,tickB,planB}.log
    # The first tick on a 1M+ table submits the pool's 200 pilots (once: one state folder).
    if [ "$rows" -ge 1000000 ]; then "$APP" tick -c "$conf" 2>&1 | grep -E 'submitted|no change' | tail -n 1 | sed 's/^/  warm-up tick: /'; fi
    for _ in 1 2; do "$APP" plan -c "$conf" >/dev/null 2>&1 || true; done
    for _ in $(seq 1 "$RUNS"); do
      for k in "${kinds[@]}"; do
        case $k in
          tick) one "$DIR/$k.log" "$APP" tick -c "$conf" ;;
          plan) one "$DIR/$k.log" "$APP" plan -c "$conf" ;;
          tickB) one "$DIR/$k.log" "$APP_B" tick -c "$conf" ;;
          planB) one "$DIR/$k.log" "$APP_B" plan -c "$conf" ;;
          floor) one "$DIR/$k.log" "${floor[@]}" ;;
          hs) one "$DIR/$k.log" "${hs_cmd[@]}" ;;
        esac
      done
    done
    grep -q 'no change' "$DIR/tick.log.out" 2>/dev/null || [ "$rows" -lt 1000000 ] || echo "  WARNING: the last tick changed something: $(tail -n 2 "$DIR/tick.log.out")"
    for k in "${kinds[@]}"; do printf '  %-6s %s\n' "$k" "$(stats "$DIR/$k.log")"; done
    ratio() { [ -f "$DIR/$1.log" ] && [ -f "$DIR/$2.log" ] && echo "  ratio $1 / $2: $(awk -v a="$(median "$DIR/$1.log")" -v b="$(median "$DIR/$2.log")" 'BEGIN { printf "%.2f", a / b }')" || true; }
    for k in tick plan tickB planB; do ratio "$k" floor; [ -n "$HS" ] && ratio "$k" hs; done
    ratio tickB tick; ratio planB plan
    echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
