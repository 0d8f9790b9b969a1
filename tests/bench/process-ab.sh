#!/usr/bin/env bash
# Whole-process time of one autopilot command in two builds, run alternately so both see the same
# machine load: wall median, min, p90, the CPU median (user + system, /usr/bin/time, 10 ms steps)
# and sum (the steadier figure on a loaded machine) and the medians of the after/before ratios of the pairs.
#   tests/bench/process-ab.sh <before-autopilot> <after-autopilot> <folder> [args...]   (ROUNDS=30)
# <folder> is the working directory (its autopilot.toml is the configuration); each binary is run
# 3 times first to warm the file cache. Exit codes are counted, so a failing side is seen.
set -euo pipefail
before=${1:?before binary}; after=${2:?after binary}; dir=${3:?folder}; shift 3
rounds=${ROUNDS:-30}
out=$(mktemp -d)
cd "$dir"
run() {
  local bin=$1 s rc; shift
  s=$(date +%s%N)
  set +e; /usr/bin/time -f '%U %S' -o "$out/cpu" "$bin" "$@" >/dev/null 2>&1; rc=$?; set -e
  echo "$rc $(( ($(date +%s%N) - s) / 1000 )) $(awk '{printf "%d", ($1 + $2) * 1000}' "$out/cpu")"
}
for _ in 1 2 3; do run "$before" "$@" >/dev/null; run "$after" "$@" >/dev/null; done
for i in $(seq 1 "$rounds"); do
  if (( i % 2 )); then run "$before" "$@" >>"$out/b"; run "$after" "$@" >>"$out/a"
  else run "$after" "$@" >>"$out/a"; run "$before" "$@" >>"$out/b"; fi
done
python3 - "$out/b" "$out/a" "$*" <<'PY'
import sys, statistics
def load(p): return [tuple(map(int, l.split())) for l in open(p)]
def ratio(a, b, i):
    # CPU comes in 10 ms steps: a command that short reads 0 in every run, and has no ratio.
    pairs = [x[i] / y[i] for x, y in zip(a, b) if y[i] > 0]
    return f"{statistics.median(pairs):.3f}" if pairs else "n/a"
b, a = load(sys.argv[1]), load(sys.argv[2])
def show(rows):
    ms = sorted(r[1] / 1000 for r in rows)
    codes = sorted({r[0] for r in rows})
    cpu = statistics.median(r[2] for r in rows)
    total = sum(r[2] for r in rows)
    return f"wall median {statistics.median(ms):.1f} ms, min {ms[0]:.1f}, p90 {ms[int(len(ms) * 0.9)]:.1f}; CPU median {cpu:.0f} ms, sum {total} ms (n={len(ms)}, exit {codes})"
print(f"autopilot {sys.argv[3]}; load {open('/proc/loadavg').read().split()[0]}")
print("before:", show(b))
print("after: ", show(a))
print(f"after/before, median of the pairs: wall {ratio(a, b, 1)}, CPU {ratio(a, b, 2)}")
PY
