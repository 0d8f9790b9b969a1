#!/bin/bash
# Autopilot pilot for Slurm: one HyperShell client per pilot job.
#
# Rendered by `autopilot` for pool {{pool}}; every placeholder value is substituted already
# shell-quoted (sbatch reads quoted values in #SBATCH lines too). Job name, partition,
# account, time, cpus, memory, output files and extra arguments are given on the sbatch
# command line by autopilot; this script carries only what must be in it.
#
# Slurm sends SIGUSR1 to this batch shell drain_lead seconds before the walltime ends; the
# shell passes it to the client, which drains (finishes running tasks, takes no new ones).
# The client exits by itself after idle_timeout seconds without work (hs client -T): that
# is how a pool shrinks to zero. The server address comes from the pool's template_vars
# (server_host, server_port), the auth key from HyperShell's own configuration
# (~/.hypershell/config.toml or HYPERSHELL_SERVER_AUTH), never from a command line.
#SBATCH --signal=B:USR1@{{drain_lead_seconds}}
set -eu

pool={{pool}}
idle_timeout={{idle_timeout}}
threads={{cpus}}
server_host={{server_host:-localhost}}
server_port={{server_port:-50001}}
hs={{hs_command:-hs}}

echo "autopilot pilot: pool=$pool job=${SLURM_JOB_ID:-?} host=$(hostname) server=$server_host:$server_port idle_timeout=${idle_timeout}s"

# The client runs in the background so this shell can receive the signal and pass it on.
"$hs" client -H "$server_host" -p "$server_port" -N "$threads" -T "$idle_timeout" &
client=$!
trap 'echo "autopilot pilot: drain requested"; kill -USR1 "$client" 2>/dev/null || true' USR1
trap 'kill -TERM "$client" 2>/dev/null || true' TERM INT

# `wait` returns early when a trapped signal arrives; keep waiting until the client is gone.
status=0
while :; do
    if wait "$client"; then status=0; else status=$?; fi
    kill -0 "$client" 2>/dev/null || break
done
echo "autopilot pilot: client exited with $status"
exit "$status"
