#!/usr/bin/env bash
# Whole-process time of `autopilot plan` on a pool reached over ssh (the test sshd of
# tests/infra/start-sshd.sh, in front of the local Slurm): a new ssh connection per command
# (control_persist = 0) against the shared master connection (control_persist = 10m).
#   tests/bench/remote-ab.sh [autopilot-binary]   (ROUNDS=10; prints process-ab.sh's figures)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${1:-$here/../../src/Autopilot.Cli/bin/Release/net10.0/autopilot}
ssh_dir=/var/lib/autopilot-test/sshd/${AUTOPILOT_TEST_SSHD_PORT:-2222}
[ -r "$ssh_dir/client_ed25519" ] || { echo "remote-ab: no test sshd key in $ssh_dir: run tests/infra/start-sshd.sh" >&2; exit 2; }
dir=$(mktemp -d /tmp/ap-rab-XXXXXX)
trap 'for s in "$dir"/p*/state/ssh/*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit 127.0.0.1 2>/dev/null; done; rm -rf "$dir"' EXIT
for persist in 0 10m; do
  mkdir -p "$dir/p$persist"
  cat > "$dir/p$persist/autopilot.toml" <<TOML
state_dir = "$dir/p$persist/state"
job_prefix = "aprab"
[log]
file = false
[[pool]]
name = "slurm"
template = "$here/../fixtures/templates/sleep-pilot.sh"
[pool.demand]
kind = "command"
command = ["/bin/echo", "0"]
[pool.scheduler]
kind = "slurm"
queue = "${AUTOPILOT_TEST_SLURM_PARTITION:-debug}"
[pool.scheduler.ssh]
host = "127.0.0.1"
port = ${AUTOPILOT_TEST_SSHD_PORT:-2222}
user = "$(id -un)"
identity_file = "$ssh_dir/client_ed25519"
known_hosts = "$ssh_dir/known_hosts"
control_persist = "$persist"
TOML
  printf '#!/bin/sh\nexec %s "$@" --config %s\n' "$bin" "$dir/p$persist/autopilot.toml" > "$dir/run-$persist"
  chmod +x "$dir/run-$persist"
done
ROUNDS=${ROUNDS:-10} bash "$here/process-ab.sh" "$dir/run-0" "$dir/run-10m" "$dir" plan -q
