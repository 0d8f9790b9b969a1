#!/usr/bin/env bash
# paired-bench.sh - whole-process `autopilot --version`, `plan` and `tick`, two builds side by side
# (docs/performance.md, "Libraries in place of the stand-ins"). Runs alternate A, B, A, B, ... so
# both see the same machine load.
#
# Usage: paired-bench.sh DIR_A DIR_B   (each a `dotnet publish` output with the `autopilot` apphost)
# The case: one Slurm pool (a real squeue per tick) whose demand is a command printing 0, so the
# tick has nothing to do; log files on (the rolling file sink writes each run). RUNS (default 20)
# measured pairs per command after 3 warm-ups, timed by process-ab.sh: per command the median wall
# time, the median and the sum of CPU time (user + system, children included: the steadier figure on
# a loaded machine), and the exit codes seen.
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

# Each command through process-ab.sh (the one paired whole-process timer), RUNS pairs each.
for cmd in "--version" "plan" "tick"; do
  args=($cmd); [ "$cmd" = "--version" ] || args+=(--config "$DIR/autopilot.toml" -q)
  ROUNDS="$RUNS" bash "$(dirname "${BASH_SOURCE[0]}")/process-ab.sh" "$A/autopilot" "$B/autopilot" "$DIR" "${args[@]}"
done
rm -rf "$DIR"
