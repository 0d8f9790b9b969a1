#!/usr/bin/env bash
# Compares the 100,000-job parser benchmarks of two builds, run alternately so both see the same
# machine load: CPU ms per parse (median and best of the rounds), min wall, MB allocated per parse.
#   tests/bench/parser-ab.sh <before-repo> <after-repo> [rounds=3] [iterations=10] [filter]
# Each repo is a checkout of Autopilot; its tests/Autopilot.Benchmarks is built in Release.
set -euo pipefail
before=${1:?before repo}; after=${2:?after repo}; rounds=${3:-3}; iterations=${4:-10}; filter=${5:-}
out=$(mktemp -d)
for repo in "$before" "$after"; do
  dotnet build "$repo/tests/Autopilot.Benchmarks" -c Release -v q -nologo >/dev/null
done
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    repo=$before; [ "$side" = after ] && repo=$after
    "$repo/tests/Autopilot.Benchmarks/bin/Release/net10.0/Autopilot.Benchmarks" cpu "$iterations" $filter | tail -n +2 >>"$out/$side"
  done
  echo "round $r done, load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
python3 - "$out/before" "$out/after" <<'PY'
import sys, statistics, re
def load(path):
    rows = {}
    for line in open(path):
        m = re.match(r'(.+?)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\S+)(\s+[\d.]+)?$', line.rstrip())
        if m:
            rows.setdefault(m.group(1).strip(), []).append((float(m.group(3)), float(m.group(5)), float(m.group(6))))
    return rows
b, a = load(sys.argv[1]), load(sys.argv[2])
print(f"{'format':<24} {'CPU before (median; best)':>26} {'CPU after (median; best)':>26} {'min wall after':>15} {'MB before':>10} {'MB after':>9}")
for name in a:
    cb = [x[0] for x in b.get(name, [])]; ca = [x[0] for x in a[name]]
    fmt = lambda v: f"{statistics.median(v):.1f}; {min(v):.1f}" if v else "-"
    print(f"{name:<24} {fmt(cb):>26} {fmt(ca):>26} {min(x[1] for x in a[name]):>15.1f} {b[name][0][2] if name in b else float('nan'):>10.2f} {a[name][0][2]:>9.2f}")
PY
rm -rf "$out"
