#!/usr/bin/env bash
# hypershell-demand-ab.sh OLD_AUTOPILOT NEW_AUTOPILOT - the demand read alone (the engine's own
# "demand ... in X ms" debug line of `autopilot plan -v`), two builds alternated on the HyperShell
# 2.8.2 tables of tests/bench/hypershell-tables.sh (SQLite and PostgreSQL, 1M and 10M rows by
# default). Prints, per table and build, the median wall time of the read and the demand it found.
# Uses the configurations tests/bench/hypershell-bench.sh wrote (run it first, same BENCH_DIR).
# Figures: docs/performance.md, "HyperShell 2.8 demand at 10k, 1M and 10M rows".
set -euo pipefail
old=${1:?usage: hypershell-demand-ab.sh OLD_AUTOPILOT NEW_AUTOPILOT}
new=${2:?usage: hypershell-demand-ab.sh OLD_AUTOPILOT NEW_AUTOPILOT}
DIR=${BENCH_DIR:-/tmp/autopilot-hs-bench}
RUNS=${RUNS:-11}
SIZES=${SIZES:-1000000 10000000}
BACKENDS=${BACKENDS:-sqlite postgres}
for backend in $BACKENDS; do
  for rows in $SIZES; do
    conf="$DIR/$backend-$rows.toml"
    [ -f "$conf" ] || { echo "hypershell-demand-ab: no $conf (run tests/bench/hypershell-bench.sh first)" >&2; exit 2; }
    : >"$DIR/ab-old" ; : >"$DIR/ab-new"
    for _ in $(seq 1 "$RUNS"); do
      for which in old new; do
        bin=$old; [ "$which" = new ] && bin=$new
        "$bin" plan -v -c "$conf" 2>&1 | grep -E 'hypershell (sqlite|postgres) .*: demand ' \
          | sed -E 's/.*: demand (.*) in ([0-9.]+) ms$/\2 \1/' >>"$DIR/ab-$which"
      done
    done
    for which in old new; do
      printf '%-8s %9s rows  %s: median %s ms  (%s)\n' "$backend" "$rows" "$which" \
        "$(sort -n "$DIR/ab-$which" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" \
        "$(head -n1 "$DIR/ab-$which" | cut -d' ' -f2-)"
    done
  done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
