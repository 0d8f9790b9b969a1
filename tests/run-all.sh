#!/usr/bin/env bash
# run-all.sh - README command (2): every test, unit and integration, on a Debian 12 machine with the
# .NET 10 SDK. Installs and starts the services the integration tests need (Slurm, Grid Engine,
# PostgreSQL 15, pouchdb-server, HyperShell 2.8.2; tests/infra/start-all.sh), builds the solution once in Release,
# publishes the Native AOT `autopilot` and its helper `autopilot-kubectl-exec` once (the tests that run it as a process use it), runs each test project with a TRX logger and ends with the line
#   N passed, N failed[, N skipped]
# counted from the TRX files. Exit 0 only when every service started, the build succeeded and no
# test failed. Safe to run again: services already up are left alone.
#
# Needs root for the services: re-runs itself under sudo when it can.
# Environment: CI=true (set by CI) changes nothing but is passed on; RUN_ALL_RESULTS=DIR overrides
# where TRX files and logs go (default: TestResults/run-all in the repository).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "run-all: the test services need root; re-running under sudo" >&2
    exec sudo -E env "PATH=$PATH" bash "$ROOT/tests/run-all.sh" "$@"
  fi
  echo "run-all: must run as root to install and start Slurm, Grid Engine, PostgreSQL and pouchdb-server;" >&2
  echo "         sudo is not installed: run 'bash tests/run-all.sh' as root." >&2
  exit 2
fi
cd "$ROOT"

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# No build nodes or compiler servers left behind holding our output pipes.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

RESULTS="${RUN_ALL_RESULTS:-$ROOT/TestResults/run-all}"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
T0=$(date +%s)
secs() { echo $(( $(date +%s) - $1 )); }
say() { printf '== %s\n' "$*"; }

command -v dotnet >/dev/null || { echo "run-all: dotnet not on PATH (install the .NET 10 SDK)" >&2; exit 2; }

# ------------------------------------------------------------------ 1. services
# Output to a file, not a pipe: the daemons started here inherit it and live on after us.
say "services (tests/infra/start-all.sh)"
t=$(date +%s)
services_ok=1
bash tests/infra/start-all.sh </dev/null >"$RESULTS/services.log" 2>&1 || services_ok=0
cat "$RESULTS/services.log"
if [ "$services_ok" = 1 ]; then
  say "services up in $(secs "$t") s"
else
  say "ERROR: a test service failed to start (see above); integration tests will fail"
fi
if [ -r /var/lib/autopilot-test/services.env ]; then
  set -a; . /var/lib/autopilot-test/services.env; set +a
fi

# ------------------------------------------------------------------ 2. build
say "build (dotnet build -c Release)"
t=$(date +%s)
if ! dotnet build Autopilot.sln -c Release -nologo -clp:NoSummary >"$RESULTS/build.log" 2>&1; then
  grep -E 'error|Error' "$RESULTS/build.log" | sort -u | head -50
  tail -n 5 "$RESULTS/build.log"
  say "ERROR: build failed after $(secs "$t") s (full log: $RESULTS/build.log); no test ran"
  exit 1
fi
grep -E ' -> ' "$RESULTS/build.log" | sed 's/^ */  /'
say "built in $(secs "$t") s"

# ------------------------------------------------------------------ 2b. publish the shipped binary
# The tests that run `autopilot` as a process run this Native AOT binary (AUTOPILOT_TEST_BINARY),
# published once here as deploy/install.sh publishes it.
say "publish (Native AOT, as deploy/install.sh)"
t=$(date +%s)
publish_ok=1
bash tests/infra/install-aot-toolchain.sh </dev/null >"$RESULTS/publish.log" 2>&1 || publish_ok=0
# autopilot-kubectl-exec (the helper `autopilot kubectl-exec` runs from its own folder) beside it.
if [ "$publish_ok" = 1 ] && dotnet publish src/Autopilot.Cli/Autopilot.Cli.csproj -c Release -r linux-x64 -p:PublishAot=true \
    -o "$RESULTS/publish" -nologo -clp:NoSummary >>"$RESULTS/publish.log" 2>&1 && [ -x "$RESULTS/publish/autopilot" ] \
    && dotnet publish src/Autopilot.Kubectl/Autopilot.Kubectl.csproj -c Release -r linux-x64 -p:PublishAot=true \
    -o "$RESULTS/publish" -nologo -clp:NoSummary >>"$RESULTS/publish.log" 2>&1 && [ -x "$RESULTS/publish/autopilot-kubectl-exec" ]; then
  # As installed: the shipped templates beside the binary (deploy/install.sh copies them too), so
  # the binary finds them wherever RUN_ALL_RESULTS puts it.
  rm -rf "$RESULTS/publish/bin-templates" && cp -a bin-templates "$RESULTS/publish/bin-templates"
  export AUTOPILOT_TEST_BINARY="$RESULTS/publish/autopilot"
  say "published $AUTOPILOT_TEST_BINARY and autopilot-kubectl-exec in $(secs "$t") s"
else
  publish_ok=0
  grep -E 'error|Error' "$RESULTS/publish.log" | sort -u | head -30
  tail -n 5 "$RESULTS/publish.log"
  say "ERROR: Native AOT publish failed after $(secs "$t") s (log: $RESULTS/publish.log); the tests run the build output instead"
fi

# ------------------------------------------------------------------ 3. tests
# Every project under tests/ whose name ends in Tests (the benchmarks are not tests); unit tests
# first, so their result shows even when a service is missing.
mapfile -t projects < <(ls tests/*Tests/*Tests.csproj 2>/dev/null | grep -v Integration | sort; ls tests/*Integration*Tests/*Tests.csproj 2>/dev/null | sort)
[ ${#projects[@]} -gt 0 ] || { say "ERROR: no test projects under tests/"; exit 1; }

# counters FILE -> "total passed failed skipped" from the TRX <Counters .../> element
counters() {
  local c
  c=$(tr '\n' ' ' < "$1" | grep -o '<Counters [^>]*>' | head -n1)
  attr() { printf '%s' "$c" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]\+' || echo 0; }
  local failed=$(( $(attr failed) + $(attr error) + $(attr timeout) + $(attr aborted) ))
  echo "$(attr total) $(attr passed) $failed $(attr notExecuted)"
}

P=0 F=0 S=0
summary=()
for proj in "${projects[@]}"; do
  name=$(basename "$proj" .csproj)
  say "test $name"
  t=$(date +%s)
  rc=0
  dotnet test "$proj" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$RESULTS" \
    --blame-hang-timeout 15m --blame-hang-dump-type none \
    </dev/null >"$RESULTS/$name.log" 2>&1 || rc=$?
  # Passed lines are noise; failures, their messages and the totals are kept.
  grep -vE '^\s+Passed ' "$RESULTS/$name.log"
  trx="$RESULTS/$name.trx"
  if [ -s "$trx" ]; then
    read -r total passed failed skipped < <(counters "$trx")
  else
    total=0 passed=0 failed=0 skipped=0
  fi
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # The run broke without a failing test to show for it (crash, hang, no TRX): count it.
    failed=1
    say "ERROR: dotnet test exited $rc for $name without a failed test in its TRX; counted as 1 failure"
  fi
  P=$((P + passed)) F=$((F + failed)) S=$((S + skipped))
  summary+=("$(printf '  %-32s %4d passed, %d failed, %d skipped (%d s)' "$name" "$passed" "$failed" "$skipped" "$(secs "$t")")")
done

say "summary (TRX files in $RESULTS; whole run $(secs "$T0") s)"
printf '%s\n' "${summary[@]}"
[ "$services_ok" = 1 ] || say "ERROR: a test service failed to start"
[ "$publish_ok" = 1 ] || say "ERROR: the Native AOT publish failed"

status=0
[ "$F" -eq 0 ] && [ "$services_ok" = 1 ] && [ "$publish_ok" = 1 ] || status=1
if [ "$S" -gt 0 ]; then echo "$P passed, $F failed, $S skipped"; else echo "$P passed, $F failed"; fi
exit $status
