#!/usr/bin/env bash
# paired-bench.sh - whole-process `autopilot --version`, `plan` and `tick`, two builds side by side
# (docs/performance.md, "Libraries in place of the stand-ins"). Runs alternate A, B, A, B, ... so
# both see the same machine load.
#
# Usage: paired-bench.sh DIR_A DIR_B   (each a `dotnet publish` output with the `autopilot` apphost)
# The case: one Slurm pool (a real squeue per tick) whose demand is a command printing 0, so the
# tick has nothing to do; log files on (the rolling file sink writes each run). RUNS (default 20)
# measured runs per command and build after 3 warm-ups. Printed per command: the median wall time,
# the median and the sum of CPU time (user + system, children included: the steadier figure on a
# loaded machine).
set -euo pipefail
A="$1"; B="$2"
RUNS="${RUNS:-20}"
DIR="$(mktemp -d /tmp/autopilot-paired-XXXXXX)"
PARTITION="${AUTOPILOT_TEST_SLURM_PARTITION:-debug}"
command -v /usr/bin/time >/dev/null || { echo "paired-bench: /usr/bin/time (package time) not found" >&2; exit 2; }
command -v squeue >/dev/null || { echo "paired-bench: squeue not found (tests/infra/start-slurm.sh)" >&2; exit 2; }
cat >"$DIR/autopilot.toml" <<TOML
state_dir = "$DIR/state"
job_prefix = "appaired$$"
[[pool]]
name = "bench"
[pool.demand]
kind = "command"
command = ["/bin/echo", "0"]
[pool.scheduler]
kind = "slurm"
queue = "$PARTITION"
TOML

# One run: "wall_us cpu_ms" (CPU = user + system of the process and its children, 10 ms steps).
ms() {
  local s e
  s=$(date +%s%N)
  /usr/bin/time -f '%U %S' -o "$DIR/time" "$@" >/dev/null 2>&1 || true
  e=$(date +%s%N)
  echo "$(( (e - s) / 1000 )) $(awk '{printf "%d", ($1 + $2) * 1000}' "$DIR/time")"
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m}'; }

for cmd in "--version" "plan" "tick"; do
  args=($cmd); [ "$cmd" = "--version" ] || args+=(--config "$DIR/autopilot.toml" -q)
  for i in 1 2 3; do ms "$A/autopilot" "${args[@]}" >/dev/null; ms "$B/autopilot" "${args[@]}" >/dev/null; done
  : >"$DIR/a"; : >"$DIR/b"
  for i in $(seq "$RUNS"); do
    ms "$A/autopilot" "${args[@]}" >>"$DIR/a"
    ms "$B/autopilot" "${args[@]}" >>"$DIR/b"
  done
  printf '%-10s wall median A %7s ms  B %7s ms | CPU median A %5s ms  B %5s ms | CPU sum A %6s ms  B %6s ms | load %s\n' "$cmd" \
    "$(awk '{print $1/1000}' "$DIR/a" | median)" "$(awk '{print $1/1000}' "$DIR/b" | median)" \
    "$(awk '{print $2}' "$DIR/a" | median)" "$(awk '{print $2}' "$DIR/b" | median)" \
    "$(awk '{s+=$2} END {print s}' "$DIR/a")" "$(awk '{s+=$2} END {print s}' "$DIR/b")" "$(cut -d' ' -f1 /proc/loadavg)"
done
"$B/autopilot" tick --config "$DIR/autopilot.toml" -q; echo "tick exit code (B): $?"
rm -rf "$DIR"
